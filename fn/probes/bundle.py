"""Probe Jobs for managed agents: inside the function (spec.probes.enabled)
and as a standalone bundle (`pipelock-companion probes`)."""

import sys

from ..topology import names
from . import job

# Hosts that are in-cluster by construction: a NO_PROXY probe against them
# proves nothing, since the agent may reach them directly by design.
_LOCAL = ("localhost", "127.0.0.1", "::1")


def build_for_agent(agent, cfg):
    """[script ConfigMap, Job] for one agent, from the function's settings."""
    probes = cfg["probes"]
    in_cluster = set(_LOCAL) | set(names.host_forms(agent.proxy, agent.namespace, cfg["clusterDomain"]))
    for destination in agent.destinations:
        in_cluster |= set(destination.hosts)
    outside = [entry for entry in agent.no_proxy if entry not in in_cluster and not entry.startswith(".")]
    return job.build_probe_job(
        agent.name, agent.namespace, agent.pod_labels, agent.proxy_url, ",".join(agent.no_proxy),
        script=job.load_probe_script(),
        image=probes["image"],
        external_url=probes["externalURL"],
        external_tcp=probes["externalTCP"],
        no_proxy_url=f"http://{outside[0]}/" if outside else "",
        common_labels={"app.kubernetes.io/version": names.common_labels(agent.proxy)["app.kubernetes.io/version"]},
    )


def main(argv):
    """`probes [--config FILE]`: resources on stdin, the probe bundle on stdout."""
    from .. import config as config_mod
    from .. import selection
    from ..krm import reader, yamlio
    from ..krm import results as R
    from ..runner import config_from_text

    config_item = None
    if argv[:1] == ["--config"] and len(argv) == 2:
        with open(argv[1], "rb") as f:
            config_item, problems = config_from_text(reader.decode(f.read()))
    elif argv:
        sys.stderr.write("usage: pipelock-companion probes [--config FILE] < resources.yaml\n")
        return 2
    else:
        problems = []
    parsed = reader.read(reader.decode(sys.stdin.buffer.read()))
    if config_item is None:
        config_item = parsed.function_config
    cfg, found = config_mod.load(config_item)
    problems += found + [R.Result(f"cannot read input: {e.describe()}") for e in parsed.errors]
    agents = []
    if not R.has_errors(problems):
        selected, found = selection.select(parsed.items, cfg)
        managed, more = selection.managed_agents([i for i in parsed.items if i not in selected], cfg)
        planned, found2 = selection.plan(selected, cfg)
        problems += found + more + found2
        agents = planned + managed
    for problem in problems:
        sys.stderr.write(R.format_line(problem) + "\n")
    if R.has_errors(problems):
        return 1
    if not agents:
        sys.stderr.write("no agent workload found: nothing to probe\n")
        return 1
    objects = [obj for agent in agents for obj in build_for_agent(agent, cfg)]
    sys.stdout.write("---\n".join(yamlio.dump(obj) for obj in objects))
    return 0

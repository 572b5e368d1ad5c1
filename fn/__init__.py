"""pipelock-companion: a KRM function that puts AI-agent workloads behind an
enforced Pipelock companion-proxy egress firewall."""

__version__ = "0.1.0"

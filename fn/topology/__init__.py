"""The companion-proxy topology: what the function knows of an agent
(agent.py), one builder per generated object, and the workload patch."""

"""A restate-server cluster on loopback: three nodes with every role, replicated metadata
(Raft among the three) and a replicated log, four partitions, each replicated to two nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from support.processes import RestateServer, free_port


class ClusterCannotStart(Exception):
    """A node of the cluster exited while starting: the machine cannot run it."""


def tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class RestateCluster:
    version: str
    base_dir: Path
    size: int = 3
    partitions: int = 4
    replication: int = 2
    nodes: list[RestateServer] = field(default_factory=list)

    def start(self, timeout: float = 90) -> RestateCluster:
        """Start every node (the first one provisions the cluster), then wait until each serves."""
        fabric = [free_port() for _ in range(self.size)]
        addresses = ", ".join(f'"http://127.0.0.1:{port}"' for port in fabric)
        for i, port in enumerate(fabric):
            node = RestateServer(
                self.version,
                self.base_dir / f"n{i + 1}",
                fabric_port=port,
                node_name=f"n{i + 1}",
                auto_provision=i == 0,
                top_config=(
                    f'advertised-address = "http://127.0.0.1:{port}"\n'
                    'roles = ["metadata-server", "admin", "worker", "log-server", "http-ingress"]\n'
                    f"default-num-partitions = {self.partitions}\n"
                    f"default-replication = {self.replication}\n"
                ),
                extra_config=(
                    '[bifrost]\ndefault-provider = "replicated"\n\n'
                    '[metadata-server]\ntype = "replicated"\n\n'
                    f"[metadata-client]\naddresses = [{addresses}]\n"
                ),
            )
            self.nodes.append(node)
            node.launch()
        for node in self.nodes:
            try:
                node.wait_ready(timeout)
            except RuntimeError as e:
                assert node.proc is not None
                if node.proc.poll() is not None:
                    raise ClusterCannotStart(
                        f"restate-server node {node.node_name} exited with {node.proc.returncode} "
                        f"while the cluster started; its log ends:\n{tail(node.log)}"
                    ) from None
                logs = "\n".join(f"--- {n.node_name}:\n{tail(n.log)}" for n in self.nodes)
                raise RuntimeError(f"the cluster did not form: {e}\n{logs}") from None
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

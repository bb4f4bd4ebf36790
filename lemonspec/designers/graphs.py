"""What the graph-learning designers share: sampling a DAG edge by edge from learned edge
probabilities (with the log-probability REINFORCE needs), pruning the weakest edges, and a
hashed bag-of-words text embedding.

`sample_dag` follows AgentPrune's and G-Designer's `construct_spatial_connection`: every
potential edge i -> j is visited in a fixed order; one that would close a cycle is skipped;
otherwise it is kept with probability sigmoid(logit), and the log-probability of the choice
joins the sum. With `threshold`, an edge is kept iff its probability exceeds it (no draw).
"""

from __future__ import annotations

import hashlib
import math
import re

from lemonspec.designers.space import Design, reaches, read_by_output


def sample_dag(probabilities, mask, generator, *, threshold: float | None = None):
    """(edges, log-probability tensor) over the n x n `probabilities` where `mask` is 1."""
    import torch

    n = probabilities.shape[0]
    edges: set[tuple[int, int]] = set()
    log_probs = [torch.zeros(())]
    for i in range(n):
        for j in range(n):
            if i == j or mask[i][j] == 0 or reaches(edges, j, i):
                continue
            p = probabilities[i, j]
            if threshold is not None:
                if float(p) > threshold:
                    edges.add((i, j))
                continue
            if torch.rand((), generator=generator) < p:
                edges.add((i, j))
                log_probs.append(torch.log(p.clamp_min(1e-8)))
            else:
                log_probs.append(torch.log((1 - p).clamp_min(1e-8)))
    return frozenset(edges), torch.stack(log_probs).sum()


def design_of(roles, level: str, edges, output: int | None, keep=None) -> Design:
    """A design over `roles` (all at `level`) with `edges`; with `keep`, only those agents
    (their edges renumbered). The output agent hears every agent nobody reads; with output
    None every agent votes (G-Designer's FinalMajorVote reads every agent the same way)."""
    keep = list(range(len(roles))) if keep is None else sorted(keep)
    index = {old: new for new, old in enumerate(keep)}
    kept_edges = {(index[a], index[b]) for a, b in edges if a in index and b in index}
    kept_roles = tuple(roles[i] for i in keep)
    if output is None:
        return Design(kept_roles, (level,) * len(keep), kept_edges, range(len(keep)))
    out = index[output]
    return Design(kept_roles, (level,) * len(keep),
                  read_by_output(len(keep), kept_edges, out), out)


def generated_design(roles, edges, pool, level: str) -> Design:
    """A team a generator wrote role by role (ARG-Designer, OFA-MAS): agent k has base role
    pool[roles[k]], all at `level`; the last one written answers and hears every agent
    nobody reads."""
    n = len(roles)
    return Design(tuple(pool[r] for r in roles), (level,) * n,
                  read_by_output(n, edges, n - 1), n - 1)


def prune_lowest(logits, mask, rate: float):
    """AgentPrune's `update_masks`: mask out the `rate` share (at least one) of the edges
    still present with the lowest logits. Returns the new mask (a list of lists)."""
    n = len(mask)
    present = [(float(logits[i][j]), i, j) for i in range(n) for j in range(n)
               if i != j and mask[i][j]]
    count = max(1, round(len(present) * rate)) if present else 0
    new = [list(row) for row in mask]
    for _, i, j in sorted(present)[:count]:
        new[i][j] = 0
    return new


def full_mask(n: int, output: int | None) -> list[list[int]]:
    """Every edge but self-loops and edges out of the answering agent: it plays the papers'
    decision node, which reads the others and is read by none. With output None (a vote)
    every edge between two agents."""
    return [[int(i != j and i != output) for j in range(n)] for i in range(n)]


# Words with a letter: a bare number ("17", a task's index, a quantity) is left out.
_WORD = re.compile(r"[a-z0-9_]*[a-z][a-z0-9_]*")


def embed(text: str, dim: int = 64) -> list[float]:
    """A hashed bag of words, L2-normalised: the task and role embedding of the per-query
    designers. The papers use a sentence encoder; none is available offline here, and on
    the simulator the task type is carried by words, which a bag of words keeps. Bare
    numbers are dropped: a sentence encoder gives them little weight, while in a bag of
    words each task's own index or quantities weigh as much as the words of its kind, and
    a generator fitted on a few dozen tasks memorises them (measured with OFA-MAS)."""
    vector = [0.0] * dim
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        bucket = int.from_bytes(digest[:4], "big") % dim
        vector[bucket] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]

"""Team designers: methods that learn or search how to build a team (AgentPrune,
AgentDropout, G-Designer, AFlow, ARG-Designer, OFA-MAS) and write `.lemon` teams that the
same compiler checks, the same runtime runs and the same judge scores.

    lemonc design agentprune --dataset simulator --out runs/agentprune --budget 400
    lemonc bench --designer runs/agentprune --dataset simulator --out runs/ap.jsonl

Modules, one per phase: space.py (what a designer may write, and the printer),
environment.py (training tasks, workers, the budget), base.py (the interface and the
registry), one module per method, store.py (the folder on disk and the bench writer),
design.py (train and save), simulated.py (the simulator as a dataset). See
docs/baselines.md for what each method keeps of its paper.
"""

"""Makes docs/img/view.png: examples/mmlu.lemon run on a ScriptedModel (the test-double LLM;
no real model), traced, rendered by `lemonc view` and photographed by headless chromium.

Run: python docs/img/view_screenshot.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from lemonspec.compiler import compile_file
from lemonspec.runtime import ScriptedModel, ScriptedReply, run_team_sync, uniform_profile
from lemonspec.view.cli import render

ROOT = Path(__file__).parents[2]
QUESTION = ("Which organ produces insulin?\nA) Liver\nB) Pancreas\nC) Kidney\nD) Spleen")
REPLIES = {
    "expert": "Insulin is made by the beta cells of the islets of Langerhans. Answer: B",
    "historian": "Banting and Best isolated insulin from the pancreas in 1921. Answer: B",
    "scientist": "Beta cells in the pancreatic islets secrete insulin. Answer: B",
    "critic": "All three agree and their reasons are sound. Answer: B",
}
SECONDS = {"expert": 1.2, "historian": 0.6, "scientist": 0.9, "critic": 0.7}


def main() -> None:
    model = ScriptedModel("docs-view", lambda call: ScriptedReply(
        REPLIES.get(call.agent, "Answer: B"), 180 + 40 * len(call.user) // 100, 24),
        latency=lambda call: SECONDS.get(call.agent, 0.5))
    ir = compile_file(ROOT / "examples/mmlu.lemon")
    profile = uniform_profile(model.model)
    run_team_sync(ir, QUESTION, profile=profile)  # so the traced run does not pay imports
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the page names the trace as the user gave it: mmlu.jsonl
        trace = Path("mmlu.jsonl")
        run_team_sync(ir, QUESTION, profile=profile, trace=trace)
        page = Path(tmp) / "mmlu.html"
        page.write_text(render(trace), encoding="utf-8")
        target = ROOT / "docs/img/view.png"
        subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", "--hide-scrollbars",
                        f"--user-data-dir={tmp}/profile", "--window-size=1200,1010",
                        f"--screenshot={target}", page.as_uri() + "#agent=critic"],
                       check=True, capture_output=True)
        print(f"wrote {target}")


if __name__ == "__main__":
    main()

"""The runtime: runs a compiled team (TeamIR) on any model LiteLLM reaches, or on the embedded
SmolLM2 with no network, with a node cache, a JSONL trace and exact accounting.

    from lemonspec.runtime import run_team, load_profile, MemoryCache
    result = await run_team(ir, "What is 2+3?", profile=load_profile("embedded"))

Nothing here imports LiteLLM or torch until a model is actually called.
"""

from lemonspec.runtime.answers import EXTRACTORS, AnswerTypeConflict, get_extractor, majority
from lemonspec.runtime.cache import (
    CachedAnswer,
    CacheError,
    MemoryCache,
    NodeCache,
    SqliteCache,
    cache_key,
)
from lemonspec.runtime.embedded import (
    EMBEDDED_GGUF,
    EMBEDDED_MODEL,
    EMBEDDED_MODEL_DIR,
    embedded_installed,
    load_embedded_model,
)
from lemonspec.runtime.executor import check_capacities, run_team, run_team_sync
from lemonspec.runtime.messages import build_messages
from lemonspec.runtime.preflight import ModelSetupError, check_models
from lemonspec.runtime.profiles import (
    Endpoint,
    LevelConfig,
    Profile,
    ProfileError,
    available_profiles,
    command_profile,
    load_profile,
    parse_profile,
    uniform_profile,
)
from lemonspec.runtime.results import AgentResult, RunResult
from lemonspec.runtime.scripted import Fault, ScriptedCall, ScriptedModel, ScriptedReply
from lemonspec.runtime.trace import RecordedRun, TraceError, TraceWriter, read_trace

__all__ = [
    "EMBEDDED_GGUF", "EMBEDDED_MODEL", "EMBEDDED_MODEL_DIR", "EXTRACTORS", "AgentResult",
    "AnswerTypeConflict",
    "CacheError", "CachedAnswer", "Endpoint", "Fault", "LevelConfig", "MemoryCache",
    "ModelSetupError", "NodeCache", "Profile", "ProfileError", "RecordedRun", "RunResult", "ScriptedCall", "ScriptedModel",
    "ScriptedReply", "SqliteCache", "TraceError", "TraceWriter", "available_profiles",
    "build_messages", "cache_key", "check_capacities", "check_models", "command_profile", "embedded_installed", "get_extractor", "load_embedded_model",
    "load_profile", "majority", "parse_profile", "read_trace", "run_team", "run_team_sync",
    "uniform_profile",
]

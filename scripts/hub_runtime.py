"""Runtime truth for the static checker: which keras_hub families draw several
attention projections from one random stream (or one initializer object).

Part 1 builds each family's Backbone with a tiny config (never a preset, never
weights) and runs the live audit, `pf.audit(backbone, policy="stateless")`.
Part 2 builds a few attention classes standalone and compares their
query/key/value/output sublayers directly: the same initializer object (`is`),
the same seed, identical or correlated kernels.

Every family (and the class sample) runs in its own child process, killed after
TIMEOUT seconds. Output: scripts/hub_runtime.json.

    /work/main/.venv/bin/python scripts/hub_runtime.py [--only llama,gemma]
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hub_runtime.json")
TIMEOUT = 120
MARK = "@@HUB_RUNTIME_JSON@@"

FAMILIES = ["llama", "mistral", "gemma", "gemma3", "qwen", "qwen3", "phi3", "mixtral", "roformer_v2", "esm",
            "xlnet", "bert", "gpt2", "t5", "bart", "whisper", "vit", "deberta_v3", "falcon", "albert", "opt",
            "gpt_neo_x", "distil_bert", "roberta", "electra"]

# family -> (Backbone class name in keras_hub.models, smallest working kwargs)
TEXT = {"vocabulary_size": 64, "num_layers": 1, "hidden_dim": 32, "intermediate_dim": 32}
CONFIGS = {
    "llama": ("LlamaBackbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2)),
    "mistral": ("MistralBackbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2)),
    "gemma": ("GemmaBackbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2, head_dim=8)),
    "gemma3": ("Gemma3Backbone", dict(TEXT, image_size=16, num_query_heads=4, num_key_value_heads=2, head_dim=8)),
    "qwen": ("QwenBackbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2)),
    "qwen3": ("Qwen3Backbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2, head_dim=8)),
    "phi3": ("Phi3Backbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2)),
    "mixtral": ("MixtralBackbone", dict(TEXT, num_query_heads=4, num_key_value_heads=2, num_experts=2, top_k=2)),
    "roformer_v2": ("RoformerV2Backbone", dict(TEXT, num_heads=4, head_size=8)),
    "esm": ("ESMBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "xlnet": ("XLNetBackbone", dict(TEXT, num_heads=4)),
    "bert": ("BertBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "gpt2": ("GPT2Backbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "t5": ("T5Backbone", dict(TEXT, num_heads=4)),
    "bart": ("BartBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "whisper": ("WhisperBackbone", dict(TEXT, num_heads=4, num_mels=8, max_encoder_sequence_length=32,
                                        max_decoder_sequence_length=32)),
    "vit": ("ViTBackbone", {"image_shape": (16, 16, 3), "patch_size": 8, "num_layers": 1, "num_heads": 4, "hidden_dim": 32,
                                "mlp_dim": 32}),
    "deberta_v3": ("DebertaV3Backbone", dict(TEXT, num_heads=4, max_sequence_length=32, bucket_size=8)),
    "falcon": ("FalconBackbone", dict(TEXT, num_attention_heads=4)),
    "albert": ("AlbertBackbone", dict(TEXT, num_heads=4, embedding_dim=16, max_sequence_length=32)),
    "opt": ("OPTBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "gpt_neo_x": ("GPTNeoXBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "distil_bert": ("DistilBertBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "roberta": ("RobertaBackbone", dict(TEXT, num_heads=4, max_sequence_length=32)),
    "electra": ("ElectraBackbone", {"vocab_size": 64, "num_layers": 1, "hidden_dim": 32, "intermediate_dim": 32,
                                        "embedding_dim": 16, "num_heads": 4, "max_sequence_length": 32}),
}

# A layer-name segment that is an attention projection (q/k/v/o, fused qkv, MHA's private names).
ATTN_SEG = re.compile(r"^_?(query|key|value|qkv|query_key_value|(q|k|v|o)(_proj|_dense|_dense_layer|_projection)?|"
                      r"out_proj|attention_output|output_dense|(query|key|value)_(dense|proj|projection|projector)|"
                      r"output_(proj|projection|projector))$")


def _segments(path: str) -> list[str]:
    return [s.split(".")[0] for s in re.split(r"[/]", path)]


def attention_names(finding) -> list[str]:
    """The slots/weights a finding names whose path has an attention-projection segment."""
    names: list[str] = []
    data = finding.data or {}
    for slot in data.get("slots", []) or []:
        names.append(slot if isinstance(slot, str) else str(slot.get("slot", slot) if isinstance(slot, dict) else slot))
    for w in data.get("weights", []) or []:
        names.append(w if isinstance(w, str) else str(w.get("path", w) if isinstance(w, dict) else w))
    if not names:  # fall back on the message
        names = re.findall(r"[\w./]+", finding.message)
    hits = []
    for n in names:
        segs = _segments(n)
        # the projection's own layer name: all but the variable/slot attribute (the last segment)
        if any(ATTN_SEG.match(s) for s in segs[:-1]) or ("." in n and ATTN_SEG.match(n.rsplit("/", 1)[-1].split(".")[0])):
            hits.append(n)
    return sorted(set(hits))


def run_family(family: str) -> dict:
    import keras_hub

    import policyfactory as pf

    cls_name, kwargs = CONFIGS[family]
    t0 = time.time()
    rec: dict = {"built": False, "error": None, "rules": [], "attention_finding": False, "messages": [],
                 "backbone": cls_name, "config": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()}}
    try:
        backbone = getattr(keras_hub.models, cls_name)(**kwargs)
        rec["built"] = True
        rec["n_weights"] = len(backbone.weights)
    except Exception as e:
        rec["error"] = f"build: {type(e).__name__}: {str(e)[:300]}"
        rec["seconds"] = round(time.time() - t0, 2)
        return rec
    rec["build_seconds"] = round(time.time() - t0, 2)
    try:
        findings = pf.audit(backbone, policy="stateless")
    except Exception as e:
        rec["error"] = f"audit: {type(e).__name__}: {str(e)[:300]}"
        rec["seconds"] = round(time.time() - t0, 2)
        return rec
    rec["rules"] = [f.rule for f in findings]
    rec["messages"] = [f.message[:200] for f in findings]
    details = []
    for f in findings:
        names = attention_names(f)
        d = f.data or {}
        details.append({"rule": f.rule, "attention_names": names,
                        "slots": [str(s) for s in (d.get("slots") or [])][:12],
                        "weights": [str(w) for w in (d.get("weights") or [])][:12],
                        "evidence": json.loads(json.dumps(d.get("evidence"), default=str))})
    rec["findings"] = details
    rec["attention_finding"] = any(d["attention_names"] for d in details)
    # one stream (or one object) across two or more attention projections of one finding
    rec["attention_stream"] = any(
        len({re.sub(r"[./](kernel|kernel_initializer)$", "", n) for n in d["attention_names"]}) >= 2 for d in details)
    rec["seconds"] = round(time.time() - t0, 2)
    return rec


# ---------------------------------------------------------------- class-level truth

PROJ = ("query", "key", "value", "output")


def _role(name: str) -> str | None:
    n = name.lower().lstrip("_")
    if n in ("query_key_value", "qkv"):
        return "qkv"
    for r in ("query", "key", "value"):
        if n == r or n.startswith(r + "_") or n.endswith("_" + r) or n == r[0]:
            return r
    if n in ("attention_output", "output", "output_dense", "o", "out_proj") or n.endswith("attention_output"):
        return "output"
    return None


def _projections(layer) -> dict:
    import keras

    out = {}
    for sub in layer._flatten_layers(include_self=False, recursive=True):
        if isinstance(sub, (keras.layers.EinsumDense, keras.layers.Dense)):
            role = _role(sub.name)
            if role and role not in out:
                out[role] = sub
    return out


def _init_desc(init) -> dict:
    return {"class": type(init).__name__, "id": id(init), "seed": getattr(init, "seed", None)
            if isinstance(getattr(init, "seed", None), int) else str(getattr(init, "seed", None)),
            "init_seed": getattr(init, "_init_seed", None)}


def compare(layer) -> dict:
    import keras
    import numpy as np

    projs = _projections(layer)
    roles = list(projs)
    rec: dict = {"projections": {r: {"name": p.name, "kernel_shape": list(p.kernel.shape),
                                     "initializer": _init_desc(p.kernel_initializer)} for r, p in projs.items()}}
    kernels = {r: keras.ops.convert_to_numpy(p.kernel).ravel() for r, p in projs.items()}
    pairs = []
    for i, a in enumerate(roles):
        for b in roles[i + 1:]:
            ia, ib = projs[a].kernel_initializer, projs[b].kernel_initializer
            n = min(kernels[a].size, kernels[b].size, 4096)
            x, y = kernels[a][:n], kernels[b][:n]
            r = float(np.corrcoef(x, y)[0, 1]) if n > 1 and x.std() > 0 and y.std() > 0 else float("nan")
            pairs.append({"pair": f"{a}/{b}", "same_initializer_object": ia is ib,
                          "same_seed": (getattr(ia, "seed", None) == getattr(ib, "seed", None)
                                        and isinstance(getattr(ia, "seed", None), int)),
                          "identical": bool(np.array_equal(x, y)), "r": round(r, 6), "overlap": int(n),
                          "correlated": bool(abs(r) > 0.999)})
    rec["pairs"] = pairs
    rec["one_object_in"] = sorted({p["pair"] for p in pairs if p["same_initializer_object"]})
    rec["any_shared_object"] = any(p["same_initializer_object"] for p in pairs)
    rec["any_correlated"] = any(p["correlated"] for p in pairs)
    return rec


def run_classes() -> dict:
    import keras
    import keras_hub
    import numpy as np
    from keras_hub.src.models.gemma.gemma_attention import CachedGemmaAttention
    from keras_hub.src.models.gpt_neo_x.gpt_neo_x_attention import GPTNeoXAttention
    from keras_hub.src.models.llama.llama_attention import LlamaAttention
    from keras_hub.src.models.mistral.mistral_attention import CachedMistralAttention

    shape = (2, 5, 32)
    x = np.random.default_rng(0).normal(size=shape).astype("float32")

    def llama(init):
        return LlamaAttention(num_query_heads=4, num_key_value_heads=4, **init)

    def gemma(init):
        return CachedGemmaAttention(head_dim=8, num_query_heads=4, num_key_value_heads=4, **init)

    def mistral(init):
        return CachedMistralAttention(num_query_heads=4, num_key_value_heads=4, **init)

    def encoder(init):
        return keras_hub.layers.TransformerEncoder(intermediate_dim=32, num_heads=4, **init)

    def neox(init):
        return GPTNeoXAttention(num_heads=4, hidden_dim=32, **init)

    makers = {
        "keras_hub.src.models.llama.llama_attention.LlamaAttention": (llama, "build"),
        "keras_hub.src.models.gemma.gemma_attention.CachedGemmaAttention": (gemma, "build"),
        "keras_hub.src.models.mistral.mistral_attention.CachedMistralAttention": (mistral, "build"),
        "keras_hub.layers.TransformerEncoder (bert)": (encoder, "call"),
        "keras_hub.src.models.gpt_neo_x.gpt_neo_x_attention.GPTNeoXAttention": (neox, "build"),
    }
    variants = {
        "default_initializer": {},
        "RandomNormal_object_passed": None,  # a fresh unseeded object per build, as the backbones pass
    }
    out = {}
    for cname, (make, how) in makers.items():
        out[cname] = {}
        for vname, init in variants.items():
            t0 = time.time()
            try:
                kw = init if init is not None else {"kernel_initializer": keras.initializers.RandomNormal(stddev=0.02)}
                layer = make(kw)
                if how == "call":
                    layer(x)
                else:
                    layer.build(shape)
                rec = compare(layer)
                rec["built_by"] = how
                rec["layer_attr_initializer"] = _init_desc(
                    getattr(layer, "kernel_initializer", None) or getattr(layer, "_kernel_initializer", None))
            except Exception as e:
                rec = {"error": f"{type(e).__name__}: {str(e)[:300]}"}
            rec["seconds"] = round(time.time() - t0, 2)
            out[cname][vname] = rec
    return out


# ---------------------------------------------------------------- driver

def child(arg: str) -> None:
    res = run_classes() if arg == "__classes__" else run_family(arg)
    print(MARK + json.dumps(res, default=str), flush=True)


def spawn(arg: str, retries: int = 2) -> dict:
    """Run one child; retry a child that died before printing (e.g. the package mid-edit at import)."""
    for attempt in range(retries + 1):
        res = _spawn_once(arg)
        if not str(res.get("error") or "").startswith("child exited") or attempt == retries:
            if attempt:
                res["attempts"] = attempt + 1
            return res
        time.sleep(5)
    return res


def _spawn_once(arg: str) -> dict:
    t0 = time.time()
    try:
        p = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", arg], capture_output=True,
                           text=True, timeout=TIMEOUT, env=dict(os.environ))
    except subprocess.TimeoutExpired:
        return {"built": False, "error": f"skipped: over {TIMEOUT} s", "rules": [], "attention_finding": False,
                "messages": [], "seconds": round(time.time() - t0, 2)}
    for line in p.stdout.splitlines():
        if line.startswith(MARK):
            res = json.loads(line[len(MARK):])
            if isinstance(res, dict) and "seconds" in res:
                res["wall_seconds"] = round(time.time() - t0, 2)
            return res
    tail = (p.stderr or "").strip().splitlines()[-5:]
    return {"built": False, "error": f"child exited {p.returncode}: " + " | ".join(tail)[:500], "rules": [],
            "attention_finding": False, "messages": [], "seconds": round(time.time() - t0, 2)}


def main() -> None:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--child":
        child(args[1])
        return
    families = FAMILIES
    if len(args) == 2 and args[0] == "--only":
        families = [f for f in args[1].split(",") if f]
    result: dict = {"policy": "stateless", "timeout_seconds": TIMEOUT, "families": {}}
    for fam in families:
        rec = spawn(fam)
        result["families"][fam] = rec
        print(f"{fam:12s} built={rec.get('built')} attn={rec.get('attention_finding')} "
              f"attn_stream={rec.get('attention_stream')} rules={rec.get('rules')} "
              f"{rec.get('seconds')}s {rec.get('error') or ''}", flush=True)
    result["classes"] = spawn("__classes__")
    for cname, variants in result["classes"].items():
        for v, rec in (variants.items() if isinstance(variants, dict) else []):
            if isinstance(rec, dict):
                print(f"{cname} [{v}] shared_object={rec.get('one_object_in')} correlated={rec.get('any_correlated')}"
                      f" {rec.get('error') or ''}", flush=True)
    # keep the family map at the top level too, as family -> record
    out = dict(result["families"])
    out["classes"] = result["classes"]
    out["_meta"] = {"policy": "stateless", "timeout_seconds": TIMEOUT}
    with open(OUT, "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

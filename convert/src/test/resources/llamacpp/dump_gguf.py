#!/usr/bin/env python3
"""Dumps a GGUF file's keys (type, value; arrays by length) and tensors (type, ne shape), sorted, in
the line format LlamaCppConverterComparisonTest reads. Uses gguf-py's GGUFReader (PYTHONPATH)."""
import sys
from gguf import GGUFReader, GGUFValueType

NAMES = {GGUFValueType.UINT8: "UINT8", GGUFValueType.INT8: "INT8", GGUFValueType.UINT16: "UINT16",
         GGUFValueType.INT16: "INT16", GGUFValueType.UINT32: "UINT32", GGUFValueType.INT32: "INT32",
         GGUFValueType.FLOAT32: "FLOAT32", GGUFValueType.BOOL: "BOOL", GGUFValueType.STRING: "STRING",
         GGUFValueType.UINT64: "UINT64", GGUFValueType.INT64: "INT64", GGUFValueType.FLOAT64: "FLOAT64"}

r = GGUFReader(sys.argv[1])
lines = []
for name, f in r.fields.items():
    if name.startswith("GGUF."):
        continue  # the header (version, counts), not metadata
    t = f.types[0]
    if t == GGUFValueType.ARRAY:
        lines.append(f"key {name} ARRAY[{NAMES[f.types[1]]}] len={len(f.data)}")
        continue
    part = f.parts[f.data[0]]
    if t == GGUFValueType.STRING:
        v = bytes(part).decode("utf-8").replace("\n", "\\n")
    elif t == GGUFValueType.BOOL:
        v = "true" if bool(part[0]) else "false"
    elif t in (GGUFValueType.FLOAT32, GGUFValueType.FLOAT64):
        v = repr(float(part[0]))
    else:
        v = str(int(part[0]))
    lines.append(f"key {name} {NAMES[t]} {v}")
for t in r.tensors:
    shape = ", ".join(str(int(x)) for x in t.shape)
    lines.append(f"tensor {t.name} {t.tensor_type.name} [{shape}]")
print("\n".join(sorted(lines)))

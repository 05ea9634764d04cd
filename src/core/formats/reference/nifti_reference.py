#!/usr/bin/python3
"""Expected geometry and voxel checksums of the shared NIfTI test volumes, computed with nibabel.

Writes nifti-reference.json beside this script; nifti-reference.test.ts compares readNifti()
against it. Run it again (with Debian's python3-nibabel) whenever the data or the rules change:

    /usr/bin/python3 src/core/formats/reference/nifti_reference.py [SHARED_DATA_ROOT]

SHARED_DATA_ROOT defaults to $LUNGLENS_SHARED_DATA, else ../shared/data from the project root.

The rules mirrored from src/core/formats (nifti.ts, affine.ts, samples.ts):
  * affine: nibabel's img.affine (sform when sform_code > 0, else qform) — the same choice;
  * LPS = diag(-1, -1, 1) @ RAS affine;
  * if det(3x3) < 0 the slice axis is reversed: column 3 negated, origin moved to the last slice,
    voxel array flipped along its third axis;
  * direction = Gram-Schmidt of the columns (row axis kept), normal = row x column;
    spacing = column norms, slice spacing = |column 3 . normal|;
  * values: img.get_fdata() (float64, scl_slope/scl_inter applied), rounded half up
    (floor(x + 0.5), like JavaScript's Math.round), clipped to Int16;
  * checksum: SHA-256 of those values as little-endian int32 in voxel memory order
    (x fastest, then y, then slice — numpy order 'F'), as in `lunglens inspect --checksum`.
  * 4-D files: the first volume only.
Each file also gets "probes": voxels given by their index in the file, with the RAS position
nibabel computes for them and their value — a check that does not depend on the rules above.
"""
import hashlib
import json
import os
import sys

import nibabel
import numpy as np

FILES = [
    "chest-ct/totalsegmentator/tests/reference_files/example_ct_sm.nii.gz",
    "chest-ct/totalsegmentator/tests/reference_files/example_ct.nii.gz",
    "chest-ct/totalsegmentator/tests/reference_files/aorta_report/test_result/models/ct_cropped.nii.gz",
    "chest-ct/totalsegmentator/tests/reference_files/pulmonary_report/models/ct_cropped.nii.gz",
]

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT_ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def orientation_code(direction):
    letters = [("R", "L"), ("A", "P"), ("I", "S")]
    code = ""
    for axis in direction.T:  # columns: row axis, column axis, normal
        best = int(np.argmax(np.abs(axis)))
        code += letters[best][1 if axis[best] >= 0 else 0]
    return code


def reference(root, rel):
    img = nibabel.load(os.path.join(root, rel))
    header = img.header
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ img.affine
    cols = affine[:3, :3].copy()
    origin = affine[:3, 3].copy()
    shape = img.shape[:3] + (1,) * (3 - len(img.shape[:3]))
    data = np.asarray(img.get_fdata(dtype=np.float64))
    while data.ndim > 3:
        data = data[..., 0]
    data = data.reshape(shape, order="F")

    reverse = bool(np.linalg.det(cols) < 0)
    if reverse:
        origin = origin + cols[:, 2] * (shape[2] - 1)
        cols[:, 2] = -cols[:, 2]
        data = data[:, :, ::-1]

    row = cols[:, 0] / np.linalg.norm(cols[:, 0])
    col = cols[:, 1] - np.dot(cols[:, 1], row) * row
    col = col / np.linalg.norm(col)
    normal = np.cross(row, col)
    spacing = [float(np.linalg.norm(cols[:, 0])), float(np.linalg.norm(cols[:, 1])), float(abs(np.dot(cols[:, 2], normal)))]
    direction = np.stack([row, col, normal], axis=1)

    hu = np.clip(np.floor(data + 0.5), -32768, 32767).astype("<i4")

    # Probes independent of the rules above: file voxel (i, j, k) -> nibabel's RAS position and
    # value, straight from img.affine and the unflipped data (corners, centre, seeded random).
    raw = np.asarray(img.get_fdata(dtype=np.float64))
    while raw.ndim > 3:
        raw = raw[..., 0]
    raw = raw.reshape(shape, order="F")
    rng = np.random.default_rng(20240601)
    last = [d - 1 for d in shape]
    ijks = [[0, 0, 0], last, [last[0], 0, 0], [0, last[1], 0], [0, 0, last[2]], [d // 2 for d in shape]]
    ijks += [[int(rng.integers(0, d)) for d in shape] for _ in range(6)]
    probes = []
    for ijk in ijks:
        ras = img.affine @ np.array(ijk + [1], dtype=np.float64)
        probes.append({"fileIjk": ijk, "ras": [float(v) for v in ras[:3]], "value": float(raw[tuple(ijk)])})
    sha = hashlib.sha256(np.asfortranarray(hu).tobytes(order="F")).hexdigest()
    return {
        "path": rel,
        "niftiVersion": 2 if isinstance(header, nibabel.Nifti2Header) else 1,
        "dataType": str(header.get_data_dtype()),
        "sformCode": int(header["sform_code"]),
        "qformCode": int(header["qform_code"]),
        "dimensions": [int(d) for d in shape],
        "spacingMm": spacing,
        "originLps": [float(v) for v in origin],
        "direction": [float(v) for v in direction.T.reshape(-1)],
        "orientation": orientation_code(direction),
        "reverseSlices": reverse,
        "valueRange": [int(hu.min()), int(hu.max())],
        "valueMean": float(hu.mean(dtype=np.float64)),
        "valueSha256": sha,
        "probes": probes,
    }


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "LUNGLENS_SHARED_DATA", os.path.join(PROJECT_ROOT, "..", "shared", "data"))
    result = {
        "generator": f"nibabel {nibabel.__version__}, numpy {np.__version__} (src/core/formats/reference/nifti_reference.py)",
        "files": [reference(root, rel) for rel in FILES],
    }
    out = os.path.join(HERE, "nifti-reference.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""LungLens detector training: ResNeXt+ (mask fusion, CBAM), BiLSTM, slice attention.

`python -m training train|calibrate|evaluate|export|bench` — see training/README.md.
"""
import os

# On a shared CPU box, OpenMP threads that spin while waiting make every step several times
# slower (measured here: 0.4–2.3 s vs 0.05 s for a tiny step under load). Passive waiting is set
# before torch is first imported; export OMP_WAIT_POLICY=ACTIVE to override.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

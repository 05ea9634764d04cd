"""A small JPEG lossless (ITU-T T.81 process 14, one component) decoder, for cross-checking only.

Used by dump_reference.py in two ways:
  * decode(frame) follows T.81 H.1.2.1 (samples are unsigned P-bit integers, arithmetic modulo 2^P):
    a third decoder, independent of GDCM and dcmtk, whose output must equal theirs;
  * decode(frame, signed_predictor=True) computes predictors 4-7 on samples read as two's
    complement, as some encoders did for signed data (e.g. DCMOBJ's: SignedShortLosslessBug.dcm).
    That is not T.81; it is recorded as an alternative reading where it is the only plausible one.
Slow (pure Python, about a second per 512x512 frame); no restart intervals, one component.
"""
import numpy as np

def parse(frame: bytes):
    """(SOF fields, Huffman table of the scan, predictor, point transform, entropy-coded data)."""
    i = 2
    tables = {}
    sof = None
    while i < len(frame):
        if frame[i] != 0xFF: raise ValueError("marker expected")
        m = frame[i + 1]
        if m == 0xFF: i += 1; continue
        L = int.from_bytes(frame[i + 2:i + 4], "big")
        seg = frame[i + 4:i + 2 + L]
        if m in (0xC3, 0xC7): sof = dict(P=seg[0], Y=int.from_bytes(seg[1:3], "big"), X=int.from_bytes(seg[3:5], "big"), Nf=seg[5])
        elif m == 0xC4:
            j = 0
            while j < len(seg):
                tc_th = seg[j]; counts = list(seg[j + 1:j + 17]); n = sum(counts)
                vals = list(seg[j + 17:j + 17 + n]); tables[tc_th & 0x0F] = (counts, vals); j += 17 + n
        elif m == 0xDD: raise ValueError("restart intervals not supported by this checker")
        elif m == 0xDA:
            ns = seg[0]
            if ns != 1: raise ValueError("one component only")
            td = seg[2] >> 4
            ss, pt = seg[1 + 2 * ns], seg[3 + 2 * ns] & 0x0F
            return sof, tables[td], ss, pt, frame[i + 2 + L:]
        i += 2 + L
    raise ValueError("no SOS")

def entropy_bits(data: bytes) -> np.ndarray:
    out = bytearray(); k = 0; n = len(data)
    while k < n:
        b = data[k]
        if b == 0xFF:
            nxt = data[k + 1] if k + 1 < n else 0xD9
            if nxt == 0x00: out.append(0xFF); k += 2; continue
            if nxt == 0xFF: k += 1; continue
            break  # a marker (EOI)
        out.append(b); k += 1
    bits = np.unpackbits(np.frombuffer(bytes(out) + b"\xff" * 4, dtype=np.uint8))
    return bits

def decode(frame: bytes, signed_predictor: bool = False) -> np.ndarray:
    """Samples (rows x columns) as unsigned P-bit integers."""
    sof, (counts, vals), ss, pt, rest = parse(frame)
    P, X, Y = sof["P"], sof["X"], sof["Y"]
    # canonical Huffman -> 16-bit lookup
    lut_len = np.zeros(1 << 16, np.int32); lut_val = np.zeros(1 << 16, np.int32)
    code = 0; k = 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            lo = code << (16 - length); hi = (code + 1) << (16 - length)
            lut_len[lo:hi] = length; lut_val[lo:hi] = vals[k]; k += 1; code += 1
        code <<= 1
    bits = entropy_bits(rest)
    nb = len(bits) - 16
    peek = np.zeros(nb, np.int64)
    for b in range(16): peek = (peek << 1) | bits[b:b + nb]
    peek = peek.tolist(); lut_len = lut_len.tolist(); lut_val = lut_val.tolist()
    mod = 1 << P; half = 1 << (P - 1)
    out = [0] * (X * Y); pos = 0
    sgn = (lambda v: v - mod if v >= half else v) if signed_predictor else (lambda v: v)
    for y in range(Y):
        row = y * X
        for x in range(X):
            p16 = peek[pos]; L = lut_len[p16]
            if L == 0: raise ValueError(f"bad Huffman code at pixel {row + x}")
            s = lut_val[p16]; pos += L
            if s == 0: d = 0
            elif s == 16: d = 32768
            else:
                v = peek[pos] >> (16 - s); pos += s
                d = v if v >= (1 << (s - 1)) else v - (1 << s) + 1
            if y == 0 and x == 0: px = 1 << (P - pt - 1)
            elif y == 0: px = out[row + x - 1]
            elif x == 0: px = out[row - X]
            else:
                ra, rb, rc = sgn(out[row + x - 1]), sgn(out[row + x - X]), sgn(out[row + x - X - 1])
                px = {1: ra, 2: rb, 3: rc, 4: ra + rb - rc, 5: ra + ((rb - rc) >> 1),
                      6: rb + ((ra - rc) >> 1), 7: (ra + rb) >> 1}[ss]
            out[row + x] = (px + d) % mod
    return np.array(out, dtype=np.int64).reshape(Y, X)

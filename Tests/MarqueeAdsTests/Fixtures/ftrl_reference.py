#!/usr/bin/env python3
"""An independent FTRL-Proximal reference for CTRModelTests (Python standard library only).

Written from McMahan et al. 2013 (Algorithm 1) and the documented hashing of CTRModel, in plain
double precision, with none of the Swift code's structure: weights live in dicts keyed by table
index, n is stored (not its square root), the sigma step is the textbook difference of square roots.

It makes the 200-row fixture (a deterministic LCG; labels drawn from a logistic model with a
device x daypart interaction) and prints, for three configurations, the progressive predictions
(each row predicted before learning from it) as Swift literals, plus the pairs the automatic
selection crossed. CTRModelTests keeps the printed fixture and values inline.

    python3 Tests/MarqueeAdsTests/Fixtures/ftrl_reference.py
"""

import math

M64 = (1 << 64) - 1


def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode("utf-8"):
        h ^= byte
        h = (h * 0x100000001B3) & M64
    return h


def mix(x):
    """SplitMix64's finalizer."""
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def cross_key(a, b):
    return mix(((a * 0x9E3779B97F4A7C15) & M64) ^ b)


class Reference:
    def __init__(self, bits, alpha, beta, l1, l2, fields, seed, policy, pairs=(), selection=None):
        self.mask = (1 << bits) - 1
        self.alpha, self.beta, self.l1, self.l2 = alpha, beta, l1, l2
        self.fields = fields
        self.salts = [mix(seed ^ ((f * 0xD6E8FEB86659FD93) & M64)) for f in range(fields)]
        self.bias = mix(seed ^ 0x6269617362696173) & self.mask
        self.z = {}
        self.n = {}
        self.shadow_owned = set()
        self.policy = policy
        self.active = sorted(set(pairs)) if policy == "pairs" else []
        self.undecided = []
        self.state = {}  # pair -> "undecided" | "active" | "dropped"
        for p in self.active:
            self.state[p] = "active"
        self.gain = {}
        self.varies = [False] * fields
        self.first = [None] * fields
        self.sel = selection
        self.probing = policy == "automatic"
        self.learned = 0

    def weight(self, i):
        z = self.z.get(i, 0.0)
        if abs(z) <= self.l1:
            return 0.0
        sign = 1.0 if z > 0 else -1.0
        return -(z - sign * self.l1) / ((self.beta + math.sqrt(self.n.get(i, 0.0))) / self.alpha + self.l2)

    def shadow_weight(self, i):
        s = self.sel
        return -self.z.get(i, 0.0) / ((s["beta"] + math.sqrt(self.n.get(i, 0.0))) / s["alpha"] + s["l2"])

    def step(self, i, w, g, alpha, shadow=False):
        n = self.n.get(i, 0.0)
        sigma = (math.sqrt(n + g * g) - math.sqrt(n)) / alpha
        self.z[i] = self.z.get(i, 0.0) + g - sigma * w
        self.n[i] = n + g * g
        # Who wrote a coordinate last: the sweep forgets the ones a shadow cross wrote last.
        if shadow:
            self.shadow_owned.add(i)
        else:
            self.shadow_owned.discard(i)

    def sweep(self):
        for i in self.shadow_owned:
            del self.z[i]
            del self.n[i]
        self.shadow_owned = set()

    def see(self, field):
        """A field joins the crosses once it has shown a second value."""
        self.varies[field] = True
        for other in range(self.fields):
            if other == field or not self.varies[other]:
                continue
            pair = (min(field, other), max(field, other))
            if pair in self.state:
                continue
            if self.policy == "all":
                self.state[pair] = "active"
                self.active.append(pair)
            elif self.policy == "automatic" and self.probing:
                self.state[pair] = "undecided"
                self.undecided.append(pair)

    def keys(self, tokens):
        return [mix(value ^ self.salts[field]) for field, value in tokens]

    def crosses(self, tokens, keys, pair):
        out = []
        for ta, (fa, _) in enumerate(tokens):
            if fa != pair[0]:
                continue
            for tb, (fb, _) in enumerate(tokens):
                if fb == pair[1]:
                    out.append(cross_key(keys[ta], keys[tb]) & self.mask)
        return out

    def features(self, tokens, keys):
        idx = [self.bias] + [k & self.mask for k in keys]
        for pair in self.active:
            idx += self.crosses(tokens, keys, pair)
        return idx

    @staticmethod
    def sigmoid(logit):
        x = max(-35.0, min(35.0, logit))
        return 1.0 / (1.0 + math.exp(-x))

    def predict(self, tokens):
        keys = self.keys(tokens)
        return self.sigmoid(sum(self.weight(i) for i in self.features(tokens, keys)))

    def predict_and_learn(self, tokens, clicked):
        keys = self.keys(tokens)
        for field, value in tokens:
            if self.varies[field]:
                continue
            if self.first[field] is None:
                self.first[field] = value
            elif self.first[field] != value:
                self.see(field)
        idx = self.features(tokens, keys)
        ws = [self.weight(i) for i in idx]
        p = self.sigmoid(sum(ws))
        g = p - (1.0 if clicked else 0.0)
        for i, w in zip(idx, ws):
            self.step(i, w, g, self.alpha)
        if self.probing:
            self.probe(tokens, keys, g, p)
        self.learned += 1
        return p

    def probe(self, tokens, keys, g, p):
        s = self.sel
        if self.learned >= s["max_probe"] or len(self.active) >= s["max_active"]:
            for pair in self.undecided:
                self.state[pair] = "dropped"
            self.undecided = []
            self.probing = False
            self.sweep()
            return
        shadows = [(pair, self.crosses(tokens, keys, pair)) for pair in self.undecided]
        weights = [[self.shadow_weight(i) for i in idx] for _, idx in shadows]
        h = p * (1 - p)
        decided = False
        for (pair, idx), ws in zip(shadows, weights):
            if not idx:
                continue
            t = sum(ws)
            gain = self.gain.get(pair, 0.0) - g * t - 0.5 * h * t * t
            self.gain[pair] = gain
            self.margins.append(abs(abs(gain) - s["threshold"]))
            if gain >= s["threshold"] and len(self.active) < s["max_active"]:
                self.state[pair] = "active"
                self.active.append(pair)
                decided = True
            elif gain <= -s["threshold"]:
                self.state[pair] = "dropped"
                decided = True
        for (pair, idx), ws in zip(shadows, weights):
            for i, w in zip(idx, ws):
                self.step(i, w, g, s["alpha"], shadow=True)
        # Swap-remove decided pairs from the back, as the Swift model does.
        c = len(self.undecided) - 1
        while c >= 0:
            if self.state[self.undecided[c]] != "undecided":
                self.undecided[c] = self.undecided[-1]
                self.undecided.pop()
            c -= 1
        if decided and not self.undecided:
            self.sweep()

    margins = []


FIELDS = ["device", "daypart", "campaign", "genre"]
DEVICES = ["tv", "phone", "web"]
DAYPARTS = ["morning", "day", "evening", "night"]
GENRES = ["drama", "comedy", "horror", "kids"]


class LCG:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & M64
        return self.state >> 33

    def uniform(self):
        return self.next() / float(1 << 31)

    def below(self, n):
        return self.next() % n


def fixture(rows=200, seed=2024):
    rng = LCG(seed)
    out = []
    for _ in range(rows):
        device = DEVICES[rng.below(3)]
        daypart = DAYPARTS[rng.below(4)]
        campaign = "c%d" % rng.below(10)
        genres = [GENRES[rng.below(4)] for _ in range(rng.below(3))]
        logit = -1.5 + (1.5 if (device == "tv") == (daypart in ("evening", "night")) else -1.5)
        logit += 0.3 * int(campaign[1:]) / 9 + (0.5 if "kids" in genres else 0.0)
        clicked = rng.uniform() < 1 / (1 + math.exp(-logit))
        out.append((clicked, device, daypart, campaign, genres))
    return out


def tokens_of(row):
    _, device, daypart, campaign, genres = row
    toks = [(0, fnv1a64(device)), (1, fnv1a64(daypart)), (2, fnv1a64(campaign))]
    toks += [(3, fnv1a64(g)) for g in genres]
    return toks


CONFIGS = {
    "linear": dict(bits=12, alpha=0.1, beta=1.0, l1=0.0, l2=1.0, fields=4, seed=7, policy="none"),
    "pairs": dict(bits=12, alpha=0.3, beta=1.0, l1=0.5, l2=0.5, fields=4, seed=7, policy="pairs", pairs=[(0, 1), (2, 3)]),
    "automatic": dict(
        bits=12, alpha=0.3, beta=1.0, l1=0.0, l2=1.0, fields=4, seed=7, policy="automatic",
        selection=dict(threshold=0.5, max_probe=150, max_active=2, alpha=0.3, beta=1.0, l2=0.5),
    ),
}


def main():
    rows = fixture()
    print("// The fixture: clicked, device, daypart, campaign, genres (comma separated, maybe none)")
    print('let fixture = """')
    for clicked, device, daypart, campaign, genres in rows:
        print("%d %s %s %s %s" % (clicked, device, daypart, campaign, ",".join(genres) or "-"))
    print('"""')
    for name, config in CONFIGS.items():
        model = Reference(**config)
        Reference.margins = []
        preds = [model.predict_and_learn(tokens_of(r), r[0]) for r in rows]
        print("// %s: crossed %s, smallest |gain| - threshold margin %s" % (
            name, model.active, min(Reference.margins) if Reference.margins else "-"))
        print("let %sPredictions: [Double] = [" % name)
        for k in range(0, len(preds), 8):
            print("    " + ", ".join("%.9f" % p for p in preds[k:k + 8]) + ",")
        print("]")
        after = [model.predict(tokens_of(r)) for r in rows[:4]]
        print("let %sAfter: [Double] = [%s]" % (name, ", ".join("%.9f" % p for p in after)))


if __name__ == "__main__":
    main()

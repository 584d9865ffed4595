"""Writes Tests/MarqueeExperimentsTests/Fixtures/gbstats.json: reference results from GrowthBook's gbstats 0.8.0
(and scipy / statsmodels for what gbstats lacks) that MarqueeExperimentsTests checks the Swift engine against.

Run it through scripts/gbstats-fixtures.sh, which makes the throwaway virtual environment it needs.
Every input comes from a generator with a fixed seed, so two runs write the same file.
"""

import importlib.metadata
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.stats
import statsmodels
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower, TTestIndPower
from statsmodels.stats.proportion import proportion_effectsize

from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest, TwoSidedTTest
from gbstats.models.statistics import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm

SEED = 20260515
rng = np.random.default_rng(SEED)
cases = []


def num(x):
    """A plain float for JSON (gbstats returns numpy scalars); infinities and NaN are refused."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x}")
    return x


# --- Inputs: sufficient statistics of generated unit-level data, as JSON and as gbstats objects ---


def mean_input(values):
    v = np.asarray(values, dtype=float)
    return {"type": "mean", "n": int(v.size), "sum": num(v.sum()), "sum_squares": num((v * v).sum())}


def proportion_input(n, conversions):
    return {"type": "proportion", "n": int(n), "sum": num(conversions)}


def base_input(values, binary):
    v = np.asarray(values, dtype=float)
    return proportion_input(v.size, v.sum()) if binary else mean_input(v)


def ratio_input(m, d, binary_m=False):
    m, d = np.asarray(m, dtype=float), np.asarray(d, dtype=float)
    return {
        "type": "ratio",
        "n": int(m.size),
        "numerator": base_input(m, binary_m),
        "denominator": mean_input(d),
        "sum_of_products": num((m * d).sum()),
    }


def cuped_input(post, pre, binary=False):
    post, pre = np.asarray(post, dtype=float), np.asarray(pre, dtype=float)
    return {
        "type": "cuped",
        "n": int(post.size),
        "post": base_input(post, binary),
        "pre": base_input(pre, binary),
        "sum_of_products": num((post * pre).sum()),
    }


def gb(s):
    """A fresh gbstats statistic for a JSON input (fresh because gbstats' tests set theta on theirs)."""
    t = s["type"]
    if t == "mean":
        return SampleMeanStatistic(n=s["n"], sum=s["sum"], sum_squares=s["sum_squares"])
    if t == "proportion":
        return ProportionStatistic(n=s["n"], sum=s["sum"])
    if t == "ratio":
        return RatioStatistic(
            n=s["n"], m_statistic=gb(s["numerator"]), d_statistic=gb(s["denominator"]),
            m_d_sum_of_products=s["sum_of_products"])
    if t == "cuped":
        return RegressionAdjustedStatistic(
            n=s["n"], post_statistic=gb(s["post"]), pre_statistic=gb(s["pre"]),
            post_pre_sum_of_products=s["sum_of_products"], theta=0)
    raise ValueError(t)


# --- Cases ---


def statistic_case(name, s):
    g = gb(s)
    expected = {"mean": num(g.mean), "variance": num(g.variance)}
    if s["type"] == "ratio":
        expected["covariance"] = num(g.covariance)
    cases.append({"name": name, "kind": "statistic", "input": {"statistic": s}, "expected": expected})


def frequentist_case(name, a, b, difference, alpha=0.05, sequential=None):
    if sequential is None:
        test = TwoSidedTTest(gb(a), gb(b), FrequentistConfig(difference_type=difference, alpha=alpha))
        kind, extra = "ttest", {}
    else:
        config = SequentialConfig(difference_type=difference, alpha=alpha, sequential_tuning_parameter=sequential)
        test = SequentialTwoSidedTTest(gb(a), gb(b), config)
        kind, extra = "sequential", {"tuning": sequential}
    r = test.compute_result()
    cases.append({
        "name": name, "kind": kind,
        "input": {"a": a, "b": b, "difference": difference, "alpha": alpha, **extra},
        "expected": {
            "expected": num(r.expected), "ci": [num(r.ci[0]), num(r.ci[1])], "p_value": num(r.p_value),
            "stddev": num(r.uplift.stddev), "error": r.error_message,
        },
    })


def bayesian_case(name, a, b, difference, inverse=False, prior=None, alpha=0.05):
    """prior: None for gbstats' default (improper, ignored) or (mean, stddev, type) of a proper prior."""
    if prior is None:
        config = EffectBayesianConfig(difference_type=difference, inverse=inverse, alpha=alpha)
        prior_json = None
    else:
        mean, stddev, prior_type = prior
        config = EffectBayesianConfig(
            difference_type=difference, inverse=inverse, alpha=alpha, prior_type=prior_type,
            prior_effect=GaussianPrior(mean=mean, variance=stddev**2, proper=True))
        prior_json = {"mean": mean, "stddev": stddev, "type": prior_type}
    inputs = {"a": a, "b": b, "difference": difference, "inverse": inverse, "alpha": alpha, "prior": prior_json}
    try:
        r = EffectBayesianABTest(gb(a), gb(b), config).compute_result()
    except ZeroDivisionError as error:
        # gbstats divides by a prior variance rescaled to zero (a zero baseline): the Swift engine refuses instead.
        cases.append({"name": name, "kind": "bayesian", "input": inputs, "expected": {"raises": type(error).__name__}})
        return
    cases.append({
        "name": name, "kind": "bayesian", "input": inputs,
        "expected": {
            "chance_to_win": num(r.chance_to_win), "expected": num(r.expected), "ci": [num(r.ci[0]), num(r.ci[1])],
            "risk": [num(r.risk[0]), num(r.risk[1])], "risk_type": r.risk_type, "stddev": num(r.uplift.stddev),
            "error": r.error_message,
        },
    })


def srm_case(name, users, weights):
    cases.append({
        "name": name, "kind": "srm", "input": {"users": users, "weights": weights},
        "expected": {"p_value": num(check_srm(users, weights))},
    })


# Data: a continuous metric (viewing minutes), a conversion, a ratio (clicks / impressions), a CUPED pair.
def minutes(n, mean):
    return rng.gamma(shape=2.0, scale=mean / 2.0, size=n)


def conversions(n, p):
    return (rng.random(n) < p).astype(float)


def impressions_clicks(n, ctr):
    imps = rng.poisson(6.0, size=n).astype(float)
    clicks = rng.binomial(imps.astype(int), ctr).astype(float)
    return clicks, imps


def cuped_pair(n, lift, rho):
    pre = rng.normal(50.0, 12.0, size=n)
    post = 50.0 + lift + rho * (pre - 50.0) + rng.normal(0.0, 12.0 * math.sqrt(1 - rho * rho), size=n)
    return post, pre


means = [
    (mean_input(minutes(2000, 42.0)), mean_input(minutes(2100, 43.5))),
    (mean_input(minutes(500, 10.0)), mean_input(minutes(480, 10.0))),
    (mean_input(minutes(12000, 3.0)), mean_input(minutes(11800, 3.1))),
]
props = [
    (proportion_input(1000, 100), proportion_input(1000, 125)),
    (base_input(conversions(5000, 0.04), True), base_input(conversions(5100, 0.046), True)),
    (base_input(conversions(800, 0.5), True), base_input(conversions(820, 0.49), True)),
]
ratios = []
for ctr_a, ctr_b, n in [(0.020, 0.023, 4000), (0.05, 0.05, 900)]:
    ma, da = impressions_clicks(n, ctr_a)
    mb, db = impressions_clicks(n + 37, ctr_b)
    ratios.append((ratio_input(ma, da), ratio_input(mb, db)))
# A ratio whose numerator is a conversion (a unit converted at all) per impression.
ca, ia = impressions_clicks(3000, 0.03)
cb, ib = impressions_clicks(3050, 0.035)
ratios.append((ratio_input((ca > 0).astype(float), ia, binary_m=True), ratio_input((cb > 0).astype(float), ib, binary_m=True)))
cupeds = []
for n, lift, rho in [(3000, 0.8, 0.7), (1500, 0.0, 0.4)]:
    pa, qa = cuped_pair(n, 0.0, rho)
    pb, qb = cuped_pair(n + 20, lift, rho)
    cupeds.append((cuped_input(pa, qa), cuped_input(pb, qb)))
pa, qa = conversions(4000, 0.10), conversions(4000, 0.12)
pa = np.where(qa > 0, conversions(4000, 0.5), pa)
pb, qb = conversions(4000, 0.11), conversions(4000, 0.12)
pb = np.where(qb > 0, conversions(4000, 0.55), pb)
cupeds.append((cuped_input(pa, qa, binary=True), cuped_input(pb, qb, binary=True)))

# Statistics alone.
statistic_case("statistic mean", means[0][0])
statistic_case("statistic proportion", props[1][0])
statistic_case("statistic ratio", ratios[0][0])
statistic_case("statistic ratio, proportion numerator", ratios[2][0])
statistic_case("statistic cuped (theta 0)", cupeds[0][0])

# Fixed-horizon t-tests.
for i, (a, b) in enumerate(means):
    for d in ("relative", "absolute"):
        frequentist_case(f"ttest mean {i} {d}", a, b, d)
for i, (a, b) in enumerate(props):
    for d in ("relative", "absolute"):
        frequentist_case(f"ttest proportion {i} {d}", a, b, d)
for i, (a, b) in enumerate(ratios):
    for d in ("relative", "absolute"):
        frequentist_case(f"ttest ratio {i} {d}", a, b, d)
for i, (a, b) in enumerate(cupeds):
    for d in ("relative", "absolute"):
        frequentist_case(f"ttest cuped {i} {d}", a, b, d)
frequentist_case("ttest mean alpha 0.1", means[0][0], means[0][1], "relative", alpha=0.1)

# Sequential (always-valid) t-tests.
for i, (a, b) in enumerate(means[:2]):
    for d in ("relative", "absolute"):
        frequentist_case(f"sequential mean {i} {d}", a, b, d, sequential=5000)
frequentist_case("sequential proportion relative", props[1][0], props[1][1], "relative", sequential=5000)
frequentist_case("sequential proportion tuning 1000", props[0][0], props[0][1], "absolute", sequential=1000)
frequentist_case("sequential ratio relative", ratios[0][0], ratios[0][1], "relative", sequential=5000)
frequentist_case("sequential cuped relative", cupeds[0][0], cupeds[0][1], "relative", sequential=5000)
frequentist_case("sequential cuped absolute alpha 0.1", cupeds[0][0], cupeds[0][1], "absolute", alpha=0.1, sequential=20000)

# Bayesian (effect prior): gbstats' default (improper) prior, then proper priors.
for i, (a, b) in enumerate(means):
    for d in ("relative", "absolute"):
        bayesian_case(f"bayesian mean {i} {d}", a, b, d)
for i, (a, b) in enumerate(props[:2]):
    for d in ("relative", "absolute"):
        bayesian_case(f"bayesian proportion {i} {d}", a, b, d)
bayesian_case("bayesian ratio relative", ratios[0][0], ratios[0][1], "relative")
bayesian_case("bayesian ratio absolute", ratios[1][0], ratios[1][1], "absolute")
bayesian_case("bayesian cuped relative", cupeds[0][0], cupeds[0][1], "relative")
bayesian_case("bayesian cuped absolute", cupeds[2][0], cupeds[2][1], "absolute")
bayesian_case("bayesian inverse metric", means[2][0], means[2][1], "relative", inverse=True)
bayesian_case("bayesian proper relative prior", props[0][0], props[0][1], "relative", prior=(0.0, 0.1, "relative"))
bayesian_case("bayesian proper relative prior, absolute", means[1][0], means[1][1], "absolute", prior=(0.02, 0.1, "relative"))
bayesian_case("bayesian proper absolute prior, relative", means[0][0], means[0][1], "relative", prior=(0.5, 2.0, "absolute"))
bayesian_case("bayesian proper absolute prior", means[0][0], means[0][1], "absolute", prior=(0.0, 1.0, "absolute"))
bayesian_case("bayesian alpha 0.1", props[1][0], props[1][1], "relative", alpha=0.1)

# Edge cases: whatever gbstats returns there.
zero_var = {"type": "mean", "n": 10, "sum": 50.0, "sum_squares": 250.0}
one_unit = {"type": "mean", "n": 1, "sum": 3.0, "sum_squares": 9.0}
empty = {"type": "mean", "n": 0, "sum": 0.0, "sum_squares": 0.0}
centred = mean_input(rng.normal(0.0, 1.0, size=400) - 0.0)
centred["sum"] = 0.0  # a baseline whose mean is exactly zero, with spread
negative_a = mean_input(-minutes(1500, 20.0))
negative_b = mean_input(-minutes(1500, 21.0))
flat_pre = {"type": "cuped", "n": 100, "post": mean_input(minutes(100, 5.0)),
            "pre": {"type": "mean", "n": 100, "sum": 200.0, "sum_squares": 400.0}, "sum_of_products": 0.0}
flat_pre["sum_of_products"] = 2.0 * flat_pre["post"]["sum"]
flat_pre_b = {"type": "cuped", "n": 110, "post": mean_input(minutes(110, 5.5)),
              "pre": {"type": "mean", "n": 110, "sum": 220.0, "sum_squares": 440.0}, "sum_of_products": 0.0}
flat_pre_b["sum_of_products"] = 2.0 * flat_pre_b["post"]["sum"]
frequentist_case("edge zero variance", zero_var, means[1][1], "relative")
frequentist_case("edge one unit in b", means[1][0], one_unit, "absolute")
frequentist_case("edge empty baseline", empty, means[1][1], "absolute")
frequentist_case("edge zero baseline mean, absolute", centred, means[1][1], "absolute")
frequentist_case("edge negative means, relative", negative_a, negative_b, "relative")
frequentist_case("edge cuped constant pre-period (theta 0)", flat_pre, flat_pre_b, "relative")
frequentist_case("edge proportion all converted", proportion_input(200, 200), proportion_input(210, 150), "absolute")
frequentist_case("edge sequential negative means", negative_a, negative_b, "relative", sequential=5000)
bayesian_case("edge bayesian empty variant", means[1][0], empty, "absolute")
bayesian_case("edge bayesian zero baseline, relative", centred, means[1][1], "relative")
bayesian_case("edge bayesian zero baseline, absolute", centred, means[1][1], "absolute")
bayesian_case("edge bayesian negative means, relative prior", negative_a, negative_b, "relative", prior=(0.0, 0.1, "absolute"))
bayesian_case("edge bayesian cuped constant pre-period", flat_pre, flat_pre_b, "relative")

# Sample-ratio mismatch.
srm_case("srm balanced", [5021, 4979], [0.5, 0.5])
srm_case("srm mismatch", [5200, 4800], [0.5, 0.5])
srm_case("srm three variants", [3400, 3300, 3150], [1, 1, 1])
srm_case("srm uneven weights", [1980, 8020], [0.2, 0.8])
srm_case("srm zero weight variant", [1000, 1040, 3], [0.5, 0.5, 0.0])
srm_case("srm no users", [0, 0], [0.5, 0.5])

# Distributions (scipy), the building blocks.
for x in (-3.5, -1.0, 0.0, 0.7, 2.5):
    cases.append({"name": f"normal cdf {x}", "kind": "distribution", "input": {"function": "normal_cdf", "x": x},
                  "expected": {"value": num(scipy.stats.norm.cdf(x))}})
for q in (1e-6, 0.025, 0.3, 0.5, 0.975, 0.999999):
    cases.append({"name": f"normal quantile {q}", "kind": "distribution", "input": {"function": "normal_quantile", "x": q},
                  "expected": {"value": num(scipy.stats.norm.ppf(q))}})
for x, df in ((2.1, 3.0), (-0.4, 17.5), (1.96, 250.3), (4.0, 12000.0)):
    cases.append({"name": f"t cdf {x} df {df}", "kind": "distribution", "input": {"function": "t_cdf", "x": x, "df": df},
                  "expected": {"value": num(scipy.stats.t.cdf(x, df))}})
for q, df in ((0.975, 2.0), (0.975, 9.3), (0.95, 80.0), (0.025, 1500.0), (0.995, 40000.0)):
    cases.append({"name": f"t quantile {q} df {df}", "kind": "distribution",
                  "input": {"function": "t_quantile", "x": q, "df": df}, "expected": {"value": num(scipy.stats.t.ppf(q, df))}})
for x, df in ((3.2, 1.0), (0.5, 2.0), (11.0, 4.0), (150.0, 99.0)):
    cases.append({"name": f"chi-square sf {x} df {df}", "kind": "distribution",
                  "input": {"function": "chi_square_sf", "x": x, "df": df},
                  "expected": {"value": num(scipy.stats.chi2.sf(x, df))}})

# Multiple-testing corrections (statsmodels).
pvalue_sets = [
    [0.01, 0.04, 0.03, 0.005, 0.2],
    [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216],
    list(rng.uniform(0, 0.3, size=7).round(6)),
    [0.5, 0.5, 0.9],
]
for i, ps in enumerate(pvalue_sets):
    for method in ("holm", "fdr_bh"):
        _, adjusted, _, _ = multipletests(ps, alpha=0.05, method=method)
        cases.append({"name": f"multiple testing {method} {i}", "kind": "multiple_testing",
                      "input": {"method": method, "p_values": [num(p) for p in ps]},
                      "expected": {"adjusted": [num(p) for p in adjusted]}})

# Power and sample size (statsmodels): normal and t approximations for means, Cohen's h for proportions.
for es, alpha, power, ratio in ((0.2, 0.05, 0.8, 1.0), (0.05, 0.05, 0.9, 1.0), (0.1, 0.01, 0.8, 2.0)):
    n = NormalIndPower().solve_power(effect_size=es, alpha=alpha, power=power, ratio=ratio)
    cases.append({"name": f"power normal d={es} alpha={alpha} power={power} ratio={ratio}", "kind": "power",
                  "input": {"test": "normal", "effect_size": es, "alpha": alpha, "power": power, "ratio": ratio,
                            "nobs1": 500.0},
                  "expected": {"nobs1": num(n),
                               "power_at_nobs1": num(NormalIndPower().power(es, 500.0, alpha, ratio=ratio))}})
for es, alpha, power, ratio in ((0.5, 0.05, 0.8, 1.0), (0.3, 0.05, 0.9, 1.5), (0.8, 0.1, 0.8, 1.0)):
    n = TTestIndPower().solve_power(effect_size=es, alpha=alpha, power=power, ratio=ratio)
    cases.append({"name": f"power t d={es} alpha={alpha} power={power} ratio={ratio}", "kind": "power",
                  "input": {"test": "t", "effect_size": es, "alpha": alpha, "power": power, "ratio": ratio,
                            "nobs1": 40.0},
                  "expected": {"nobs1": num(n), "power_at_nobs1": num(TTestIndPower().power(es, 40.0, alpha, ratio=ratio))}})
for p1, p2 in ((0.10, 0.12), (0.03, 0.033), (0.5, 0.45)):
    h = proportion_effectsize(p2, p1)
    n = NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, ratio=1.0)
    cases.append({"name": f"power proportions {p1} to {p2}", "kind": "power_proportions",
                  "input": {"baseline": p1, "treatment": p2, "alpha": 0.05, "power": 0.8},
                  "expected": {"effect_size": num(h), "nobs1": num(n)}})

version = importlib.metadata.version("gbstats")
assert version == "0.8.0", version
document = {
    "generator": "scripts/gbstats-fixtures.py",
    "gbstats_version": version,
    "scipy_version": scipy.__version__,
    "statsmodels_version": statsmodels.__version__,
    "numpy_version": np.__version__,
    "seed": SEED,
    "case_count": len(cases),
    "cases": cases,
}
out = sys.argv[1] if len(sys.argv) > 1 else "Tests/MarqueeExperimentsTests/Fixtures/gbstats.json"
head = {k: v for k, v in document.items() if k != "cases"}
lines = ["{"]
for k, v in head.items():
    lines.append(f"  {json.dumps(k)}: {json.dumps(v)},")
lines.append('  "cases": [')
lines.append(",\n".join("    " + json.dumps(c, separators=(", ", ": ")) for c in cases))
lines.append("  ]")
lines.append("}")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"wrote {len(cases)} cases to {out}")

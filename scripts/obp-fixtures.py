"""Writes Tests/MarqueeExperimentsTests/Fixtures/obp-synthetic.json and obp-obd.json: off-policy estimates from
Open Bandit Pipeline 0.5.7 (obp) that MarqueeExperimentsTests checks the Swift estimators against (to 1e-9).

Run it through scripts/obp-fixtures.sh, which makes the throwaway virtual environment it needs.

obp's package __init__ imports every submodule, and some of them import torch, seaborn and matplotlib (neural
policies and plots). The estimators used here (InverseProbabilityWeighting, SelfNormalizedInverseProbabilityWeighting,
DirectMethod, DoublyRobust, SwitchDoublyRobust), OpenBanditDataset and BernoulliTS never call them, so those
modules are replaced by empty stubs below rather than installed (torch alone is gigabytes).

(a) A synthetic log generated here with a seeded numpy generator: 1,000 rounds, 4 actions, 2 positions, logging
    and evaluation policies that depend on a context, a reward model with noise. The rounds themselves are written
    to the fixture with short decimals, and obp is run on exactly those values.
(b) The Open Bandit Dataset sample inside the obp sdist (obp/dataset/obd/{random,bts}/{all,men,women}/), read by
    obp's OpenBanditDataset from the folder given as the second argument (the data is not committed; the Swift
    tests read the same CSVs, fetched by scripts/fetch-obd.sh). Evaluation policies: uniform random, and the
    Bernoulli Thompson sampling policy with ZOZOTOWN's prior (obp's BernoulliTS(is_zozotown_prior=True), its
    action distribution by obp's Monte Carlo `compute_batch_action_dist`, written to the fixture since Swift
    cannot reproduce numpy's draws). The reward model is the per-(item, position) empirical click rate of the
    log (the log's mean where a pair never occurs), computed here with numpy; Swift recomputes it
    (EmpiricalRewardModel) and the fixture keeps the table so the two can be compared too.
"""

import importlib.metadata
import json
import math
import sys
import types
from pathlib import Path


def stub(name):
    """An empty module whose capitalized attributes are placeholder classes and others are further stubs."""

    class Stub(types.ModuleType):
        def __getattr__(self, attr):
            if attr.startswith("__"):
                raise AttributeError(attr)
            if attr[:1].isupper():
                value = type(attr, (), {})
            else:
                value = stub(f"{self.__name__}.{attr}")
            setattr(self, attr, value)
            return value

    module = Stub(name)
    sys.modules[name] = module
    return module


for name in [
    "torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.utils", "torch.utils.data",
    "seaborn", "matplotlib", "matplotlib.pyplot",
]:
    stub(name)

import numpy as np  # noqa: E402

from obp.dataset import OpenBanditDataset  # noqa: E402
from obp.ope import (  # noqa: E402
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    SelfNormalizedInverseProbabilityWeighting,
    SwitchDoublyRobust,
)
from obp.policy import BernoulliTS  # noqa: E402

SEED = 20260517


def num(x):
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"non-finite value {x}")
    return x


def estimators(switch_lambdas, clip):
    """(name as the Swift tests spell it, parameter, obp estimator)."""
    out = [
        ("ips", None, InverseProbabilityWeighting()),
        ("snips", None, SelfNormalizedInverseProbabilityWeighting()),
        ("dm", None, DirectMethod()),
        ("dr", None, DoublyRobust()),
    ]
    if clip is not None:
        out.append(("ips", clip, InverseProbabilityWeighting(lambda_=clip)))
        out.append(("dr", clip, DoublyRobust(lambda_=clip)))
    out += [("switch-dr", lam, SwitchDoublyRobust(lambda_=lam)) for lam in switch_lambdas]
    return out


def evaluate(reward, action, position, pscore, action_dist, q_hat, switch_lambdas, clip=None):
    results = []
    for name, parameter, estimator in estimators(switch_lambdas, clip):
        value = estimator.estimate_policy_value(
            reward=reward, action=action, position=position, pscore=pscore, action_dist=action_dist,
            estimated_rewards_by_reg_model=q_hat)
        results.append({"estimator": name, "parameter": parameter, "value": num(value)})
    n = reward.shape[0]
    iw = action_dist[np.arange(n), action, position] / pscore
    diagnostics = {
        "mean_importance_weight": num(iw.mean()),
        "effective_sample_size": num(iw.sum() ** 2 / (iw ** 2).sum()),
        "max_importance_weight": num(iw.max()),
        "logged_value": num(reward.mean()),
    }
    return results, diagnostics


def quantized_distribution(p, decimals, floor):
    """p rounded to `decimals`, each at least `floor`, the last entry taking up the remainder (so the sum is 1)."""
    q = np.maximum(np.round(p, decimals), floor)
    q[-1] = 0
    q[-1] = round(1 - q.sum(), decimals)
    if q[-1] < floor:
        i = int(np.argmax(q))
        q[i] = round(q[i] - (floor - q[-1]), decimals)
        q[-1] = floor
    return q


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def synthetic():
    rng = np.random.default_rng(SEED)
    n, n_actions, len_list, dim = 1000, 4, 2, 3
    theta_b = rng.normal(size=(len_list, n_actions, dim))
    theta_e = rng.normal(size=(len_list, n_actions, dim)) * 2
    beta = rng.normal(size=(n_actions, dim))
    position_effect = np.array([0.0, -0.7])
    rows = []
    for i in range(n):
        x = rng.normal(size=dim)
        k = int(rng.integers(len_list))
        behavior = quantized_distribution(softmax(theta_b[k] @ x), 4, 0.02)
        a = int(rng.choice(n_actions, p=behavior / behavior.sum()))
        if i % 5 == 0:
            # Every fifth round the evaluation policy is deterministic (weights 0 and 1/pscore).
            target = np.zeros(n_actions)
            target[int(np.argmax(theta_e[k] @ x))] = 1.0
        else:
            target = quantized_distribution(softmax(theta_e[k] @ x), 3, 0.0)
        truth = 1 / (1 + np.exp(-(beta @ x + position_effect[k] - 1)))
        reward = int(rng.random() < truth[a])
        q_hat = np.round(np.clip(truth + rng.normal(scale=0.05, size=n_actions), 0, 1), 3)
        rows.append([a, k, reward, float(behavior[a]), [float(t) for t in target], [float(v) for v in q_hat]])

    action = np.array([r[0] for r in rows], dtype=int)
    position = np.array([r[1] for r in rows], dtype=int)
    reward = np.array([r[2] for r in rows], dtype=float)
    pscore = np.array([r[3] for r in rows], dtype=float)
    # obp takes (n, actions, positions); only each round's own position is read, so it is copied to both.
    action_dist = np.repeat(np.array([r[4] for r in rows])[:, :, None], len_list, axis=2)
    q_hat = np.repeat(np.array([r[5] for r in rows])[:, :, None], len_list, axis=2)
    iw = action_dist[np.arange(n), action, position] / pscore
    # A switch-DR threshold equal to weights some rounds have, so that obp's `iw <= lambda_` is exercised at equality.
    positive = np.sort(iw[iw > 0])
    boundary = float(positive[len(positive) * 3 // 4])
    results, diagnostics = evaluate(reward, action, position, pscore, action_dist, q_hat, [boundary, 2.0], clip=3.0)
    return {
        "description": "A seeded synthetic log (scripts/obp-fixtures.py): 1,000 rounds, 4 actions, 2 positions; "
        "rounds are [action, position, reward, pscore, target distribution at the round's position, "
        "estimated rewards at the round's position].",
        "n_actions": n_actions,
        "len_list": len_list,
        "boundary_lambda": boundary,
        "rounds_at_boundary": int((iw == boundary).sum()),
        "rounds": rows,
        "estimates": results,
        "diagnostics": diagnostics,
    }


def empirical_reward_table(action, position, reward, n_actions, len_list):
    overall = reward.mean()
    table = np.full((len_list, n_actions), overall)
    for k in range(len_list):
        for a in range(n_actions):
            mask = (action == a) & (position == k)
            if mask.any():
                table[k, a] = reward[mask].mean()
    return table


def open_bandit_dataset(data_path):
    logs = []
    bts_tables = {}
    for campaign in ["all", "men", "women"]:
        for behavior in ["random", "bts"]:
            dataset = OpenBanditDataset(behavior_policy=behavior, campaign=campaign, data_path=Path(data_path))
            feedback = dataset.obtain_batch_bandit_feedback()
            n, n_actions, len_list = feedback["n_rounds"], dataset.n_actions, dataset.len_list
            if campaign not in bts_tables:
                policy = BernoulliTS(
                    n_actions=n_actions, len_list=len_list, is_zozotown_prior=True, campaign=campaign, random_state=12345)
                bts_tables[campaign] = policy.compute_batch_action_dist(n_rounds=1, n_sim=100_000)[0]
            table = empirical_reward_table(feedback["action"], feedback["position"], feedback["reward"], n_actions, len_list)
            q_hat = np.tile(table.T[None, :, :], (n, 1, 1))
            policies = {
                "uniform": np.full((n, n_actions, len_list), 1.0 / n_actions),
                "bts": np.tile(bts_tables[campaign][None, :, :], (n, 1, 1)),
            }
            for name, action_dist in policies.items():
                results, diagnostics = evaluate(
                    feedback["reward"], feedback["action"], feedback["position"], feedback["pscore"], action_dist, q_hat,
                    [5.0, 50.0])
                logs.append({
                    "behavior_policy": behavior,
                    "campaign": campaign,
                    "evaluation_policy": name,
                    "n_rounds": int(n),
                    "n_actions": int(n_actions),
                    "len_list": int(len_list),
                    "estimates": results,
                    "diagnostics": diagnostics,
                })
            logs_tables = [[num(v) for v in row] for row in table]
            logs.append({"behavior_policy": behavior, "campaign": campaign, "reward_table": logs_tables})
    return {
        "description": "obp 0.5.7 on the Open Bandit Dataset sample in its sdist (fetched by scripts/fetch-obd.sh); "
        "reward model: per-(item, position) empirical click rates, reward_table[position][item]; bts_action_dist[campaign] "
        "is [item][position], from BernoulliTS(is_zozotown_prior=True, random_state=12345).compute_batch_action_dist(n_sim=100000).",
        "bts_action_dist": {c: [[num(v) for v in row] for row in t] for c, t in bts_tables.items()},
        "logs": [log for log in logs if "estimates" in log],
        "reward_tables": [log for log in logs if "reward_table" in log],
    }


def main():
    out_dir = Path(sys.argv[1])
    data_path = sys.argv[2]
    versions = {p: importlib.metadata.version(p) for p in ["obp", "numpy", "scipy", "scikit-learn", "pandas"]}
    for name, document in [("obp-synthetic.json", synthetic()), ("obp-obd.json", open_bandit_dataset(data_path))]:
        document = {"generator": "scripts/obp-fixtures.py", "seed": SEED, "versions": versions, **document}
        (out_dir / name).write_text(json.dumps(document, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

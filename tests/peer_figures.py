"""The peer data sets' published figures (see ../shared/peer_data/README.md),
and how the tools print them: one copy for the API tests (test_peer_data)
and the command-line tests (test_cli_eval)."""
from decimal import ROUND_DOWN, Decimal


def pct2(ap):
    """AP in percent to 2 decimals, as Padilla's and Cartucho's tools print it
    ("{0:.2f}%".format(ap * 100))."""
    return f"{float(ap) * 100:.2f}"


def truncated(x, digits):
    """The exact decimal value of the float ``x``, truncated to ``digits``."""
    q = Decimal(1).scaleb(-digits)
    return format(Decimal(float(x)).quantize(q, rounding=ROUND_DOWN), "f")


# rafaelpadilla/review_object_detection_metrics tests/test_eval_pascal.py:
# the APs *truncated* to 10 decimals (it compares with math.isclose)
CASE1_11POINT = {0.1: "0.3333333333", 0.3: "0.2683982683", 0.5: "0.0303030303", 0.75: "0.0000000000"}
CASE1_ALLPOINT = {0.1: "0.3371980676", 0.3: "0.2456866804", 0.5: "0.0222222222", 0.75: "0.0000000000"}

# rafaelpadilla/review_object_detection_metrics README (toy example, class cat)
TOY = {(0.5, "voc07"): "88.64", (0.5, "all_point"): "89.58",
       (0.75, "voc07"): "49.24", (0.75, "all_point"): "50.97"}

# Cartucho/mAP main.py -na -np, per class (mAP 31.05 %)
CARTUCHO_APS = {"bed": "85.94", "chair": "53.84", "sofa": "90.48", "tvmonitor": "63.25",
                "doll": "0.00", "shelf": "0.00", "tincan": "0.00"}

# pycocotools' bbox stats on coco_val2014_100 (faster_coco_eval's test, to the last bit)
COCO_STATS = [0.5045806987249628, 0.6969727247299577, 0.5729816669904824, 0.5856257209410443,
              0.5193996948036719, 0.5013978986347466, 0.38681277964578054, 0.5936795762842003,
              0.595352982877607, 0.6398109626113442, 0.5664205978994309, 0.5642905982905982]

"""The analysis' report sections (``detap eval --analysis``): TIDE's error
table, the largest confusions, calibration and the worst images, as
``detap.document`` blocks rendered to Markdown, HTML and terminal text."""
from .document import Document, Heading, Paragraph, Table, number, to_text
from .plots_analysis import ANALYSIS_TITLES

__all__ = ["analysis_blocks", "analysis_text", "N_TOP", "N_WORST"]

N_TOP = 15    # confusions listed
N_WORST = 15  # images listed


def _tide_tables(t):
    from .analysis.tide import MAIN_ERRORS, SPECIAL_ERRORS
    main = Table(["type"] + list(MAIN_ERRORS),
                 [["dAP"] + [number(t["main"][k], ".2f") for k in MAIN_ERRORS],
                  ["count"] + [str(t["counts"][k]) for k in MAIN_ERRORS]])
    special = Table(["type"] + list(SPECIAL_ERRORS),
                    [["dAP"] + [number(t["special"][k], ".2f") for k in SPECIAL_ERRORS]])
    return main, special


def _calibration_blocks(c, iou, sim="IoU"):
    if c is None:
        return [Paragraph("Not computed: a detection score lies outside [0, 1] (logits?).")]
    bins = [[f"[{lo:.2f}, {hi:.2f}{']' if k == len(c.count) - 1 else ')'}", str(int(n)),
             number(cf, ".3f"), number(ac, ".3f")]
            for k, (lo, hi, n, cf, ac) in enumerate(zip(c.lo, c.hi, c.count, c.confidence, c.accuracy))]
    return [Paragraph(f"ECE {number(c.ece, '.4f')}, MCE {number(c.mce, '.4f')} over "
                      f"{c.n_detections} detections ({len(c.count)} equal-width confidence bins; "
                      f"a true positive matches at {sim} {iou:g})."),
            Table(["confidence bin", "detections", "mean confidence", "accuracy"], bins,
                  align="lrrr")]


def analysis_blocks(a, figs=None, figure=None, level=3, n_top=N_TOP, n_worst=N_WORST):
    """Blocks of an ``Analysis``; ``figs`` {kind: relative PNG path} drawn
    with ``figure(rel, caption)`` after their section."""
    figs = figs or {}
    s = a.settings
    sim = getattr(a, "similarity", "IoU")

    def fig(kind):
        return [figure(figs[kind], ANALYSIS_TITLES[kind])] if kind in figs and figure else []
    main, special = _tide_tables(a.tide)
    blocks = [Heading("Error analysis (TIDE)", level),
              Paragraph(f"tidecv's definitions: AP {number(a.tide['ap'], '.2f')} points at {sim} "
                        f"{s.iou:g} (background below {s.bg:g}, {s.max_dets} detections per image); "
                        "dAP is the AP points gained by fixing each error type."),
              main, special] + fig("tide")
    cm = a.confusion
    top = cm.top_confusions(n_top)
    blocks += [Heading("Confusion matrix", level),
               Paragraph(f"{cm.convention} convention, {sim if cm.convention == 'coco' else 'IoU'} "
                         f"{cm.iou:g}, score threshold {cm.score:g}; "
                         "the largest confusions between two classes (true -> predicted):"),
               Table(["true class", "predicted as", "count"],
                     [[t, p, str(c)] for t, p, c in top] or [["-", "-", "0"]], align="llr")]
    blocks += fig("confusion")
    blocks += [Heading("Calibration", level)] + _calibration_blocks(a.calibration, s.iou, sim)
    blocks += fig("reliability") if a.calibration is not None else []
    im = a.images
    blocks += [Heading("Worst images", level),
               Paragraph(f"Lowest per-image AP (AP points, the image's own detections against its "
                         f"GT at {sim} {s.iou:g}), more errors first among equals:"),
               Table(["image", "AP", "TP", "FP", "FN", "GT"],
                     [[str(im.names[i]), number(im.ap[i], ".2f"), str(int(im.tp[i])),
                       str(int(im.fp[i])), str(int(im.fn[i])), str(int(im.n_gt[i]))]
                      for i in im.worst(n_worst)], align="lrrrrr")]
    return blocks


def analysis_text(a, n_top=5, n_worst=5):
    """The analysis as terminal text (no figures)."""
    return to_text(Document(analysis_blocks(a, level=2, n_top=n_top, n_worst=n_worst)))

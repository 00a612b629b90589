"""The ``mask2former`` GenEval detector: Mask2Former instances + the CLIP colour classifier.

Class indices map to GenEval's names by line of ``object_names.txt`` (the detector's class order);
every instance above the lowest official threshold gets its colour classified (the scorer only
reads the colours of the detections it checks, so this equals classifying those alone).
"""

from __future__ import annotations

from PIL import Image

from evaluation.geneval.colors import ClipColorClassifier
from evaluation.geneval.detections import Detection
from evaluation.geneval.metadata import OBJECT_NAMES_FILE
from evaluation.geneval.oracle import Detector, DetectorOptions
from evaluation.geneval.scorer import THRESHOLD
from models.external.clip import DEFAULT_CLIP
from models.external.mask2former import DEFAULT_MASK2FORMER, Mask2FormerDetector


def object_names() -> list[str]:
    return OBJECT_NAMES_FILE.locate().read_text().splitlines()


def make_mask2former_detector(options: DetectorOptions) -> Detector:
    detector = Mask2FormerDetector(options.detector_model or DEFAULT_MASK2FORMER, options.device)
    colors = ClipColorClassifier(options.clip_model or DEFAULT_CLIP, options.device)
    names = object_names()

    def detect(image: Image.Image) -> list[Detection]:
        out = []
        for inst in detector.detect(image):
            label = names[inst.label_id]
            color = None
            if inst.score > THRESHOLD:
                color = colors.classify(image, label, inst.box, inst.mask)
            out.append(Detection(label, inst.score, inst.box, color))
        return out

    return detect

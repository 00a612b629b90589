"""Object detectors that produce GenEval's recorded detections (registry: ``DETECTORS``)."""

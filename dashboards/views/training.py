"""Training: loss curves (NTP, FM, per task), learning rate and throughput, runs overlaid."""

import streamlit as st

from dashboards.lib import training, training_view
from dashboards.lib.page import page_setup, refuse
from dashboards.lib.roots import PathRefused, confine

roots = page_setup("Training")
logs = training.find_logs(roots.logs)
if not logs:
    st.info("No *.jsonl logs under the logs directories (start with --logs CKPT).")
    st.stop()

by_name = {log.name: log for log in logs}
default = list(by_name)[:4]
if "log" in st.query_params:  # a deep link names a log file: it must be under a logs root
    try:
        asked = confine(st.query_params["log"], roots.logs)
    except PathRefused as e:
        refuse(e)
    default = [log.name for log in logs if log.path == asked] or default
chosen = st.multiselect("Runs", list(by_name), default=default, key="logs")
frames = training_view.load(by_name[n] for n in chosen)
groups = training.metric_groups(sorted({c for f in frames.values() for c in f.columns}))

losses = st.multiselect("Loss terms", groups["loss"], default=groups["loss"], key="losses")
log_y = st.toggle("log scale", value=False, key="log_y")
training_view.curves("Loss", frames, losses, log_y)
left, right = st.columns(2)
with left:
    training_view.curves("Learning rate", frames, groups["lr"], False)
with right:
    training_view.curves("Throughput", frames, groups["throughput"], False)
if groups["other"]:
    others = st.multiselect("Other metrics", groups["other"], key="others")
    training_view.curves("Other", frames, others, False)
training_view.summary(frames, losses)

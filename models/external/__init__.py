"""Clients of external models shared by filters and evaluation (DESIGN.md section 2).

- ``chat``: the generic chat request/reply types (text + images in; text and optional top-token
  logprobs out) and the ``ChatBackend`` protocol every judge implements;
- ``openai_compat``: any OpenAI-compatible server (vLLM, SGLang, hosted APIs) with retries,
  back-off and a concurrency limit;
- ``cache``: an append-only on-disk cache around any backend, and replay from it;
- ``transformers_vlm``: a local transformers vision-language model as a backend;
- ``backends.make_backend``: one spec string (``openai:URL:MODEL``, ``transformers:PATH``,
  ``replay:FILE``) to a backend, optionally cached;
- ``mask2former``: COCO instance detection with transformers Mask2Former;
- ``clip``, ``aesthetic``, ``ocr``: the CLIP embedder, LAION aesthetic head and OCR client the
  filters use (written with the filters).
"""

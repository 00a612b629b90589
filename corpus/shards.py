"""Shard files: WebDataset tars or Arrow tables, each with a Parquet sidecar and a done marker.

A shard `NAME` is three files in `shards/`: the data (`NAME.tar` or `NAME.arrow`), the sidecar
`NAME.parquet` (one row per sample: metadata, image sizes, byte offset and size in the data
file) and `NAME.done`. The data and sidecar are written under temporary names and renamed;
`NAME.done` is written last, so a shard without it does not exist for any reader.

Tar layout (what `webdataset` and Hugging Face `datasets` read without our code):
`KEY.json` holds every non-image field, `KEY.<role>.<ext>` each image's original bytes, members
of one sample adjacent and in a fixed order. Every sample in one shard has the same member set
(the writer routes samples to shards by layout), because HF infers columns from the first
samples of a shard.

Arrow layout (Hugging Face `datasets` Image features): columns `__key__`, `task`, `text`,
`json` and one `Image` column per role; the sidecar offset is the row index.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

from corpus.atomic import temporary_name
from corpus.schema import Sample

TAR_BLOCK = 512
# Fixed member metadata so the same samples always give byte-identical tars.
MEMBER_MTIME = 946684800  # 2000-01-01: some tar tools warn on mtime 0
MEMBER_MODE = 0o444
USTAR_NAME_BYTES = 100
USTAR_MAX_SIZE = 8**11  # the size field holds 11 octal digits

SIDECAR_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("task", pa.string()),
        ("lang", pa.string()),
        ("source", pa.string()),
        ("license", pa.string()),
        ("origin", pa.string()),
        ("text", pa.string()),
        ("text_chars", pa.int32()),
        ("n_turns", pa.int32()),
        ("group_id", pa.string()),
        ("direction", pa.string()),
        ("parent_id", pa.string()),
        ("edit_type", pa.string()),
        ("n_images", pa.int32()),
        ("image_roles", pa.list_(pa.string())),
        ("image_formats", pa.list_(pa.string())),
        ("image_widths", pa.list_(pa.int32())),
        ("image_heights", pa.list_(pa.int32())),
        ("image_bytes", pa.list_(pa.int64())),
        ("image_sha256", pa.list_(pa.string())),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("min_side", pa.int32()),
        ("max_side", pa.int32()),
        ("pixels", pa.int64()),
        ("shard", pa.string()),
        ("offset", pa.int64()),
        ("size", pa.int64()),
    ]
)


class ShardError(ValueError):
    """A shard is unreadable or inconsistent; the message names the shard and key."""


def member_names(sample: Sample) -> list[tuple[str, bytes]]:
    """The tar members of one sample, in their fixed order: JSON first, then images by role."""
    meta = json.dumps(sample.metadata(), ensure_ascii=False, sort_keys=True).encode()
    members = [(f"{sample.id}.json", meta)]
    members += [(f"{sample.id}.{img.role}.{img.format}", img.data) for img in sample.images]
    return members


def member_header(name: str, size: int) -> bytes:
    """The tar header of a regular-file member: POSIX ustar built directly (tarfile's generic
    encoder showed in the ingest profile), GNU long-name headers through tarfile when a name
    does not fit ustar's 100 bytes."""
    encoded = name.encode()
    if len(encoded) > USTAR_NAME_BYTES or size >= USTAR_MAX_SIZE:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, MEMBER_MTIME, MEMBER_MODE
        return info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
    header = bytearray(_USTAR_TEMPLATE)
    header[: len(encoded)] = encoded
    header[124:136] = b"%011o\0" % size
    header[148:155] = b"%06o\0" % sum(header)  # checksum over the header with 8 spaces there
    return bytes(header)


def _ustar_template() -> bytes:
    header = bytearray(TAR_BLOCK)
    header[100:108] = b"%07o\0" % MEMBER_MODE
    header[108:124] = b"0000000\0" * 2  # uid, gid
    header[136:148] = b"%011o\0" % MEMBER_MTIME
    header[148:156] = b" " * 8  # checksum field counts as spaces while summing
    header[156:157] = tarfile.REGTYPE
    header[257:265] = tarfile.POSIX_MAGIC  # "ustar", NUL, version "00"
    return bytes(header)


_USTAR_TEMPLATE = _ustar_template()


def sidecar_row(sample: Sample, shard: str, offset: int, size: int) -> dict[str, Any]:
    """The sample's sidecar/manifest row: the columns `corpus select` and training query."""
    imgs = sample.images
    primary = next((i for i in imgs if i.role == "target"), imgs[0] if imgs else None)
    pair = sample.pair
    text = sample.text()
    return {
        "id": sample.id,
        "task": sample.task,
        "lang": sample.lang,
        "source": sample.source,
        "license": sample.license,
        "origin": sample.origin,
        "text": text,
        "text_chars": len(text),
        "n_turns": len(sample.messages or []),
        "group_id": pair.group_id if pair else None,
        "direction": pair.direction if pair else None,
        "parent_id": pair.parent_id if pair else None,
        "edit_type": pair.edit_type if pair else None,
        "n_images": len(imgs),
        "image_roles": [i.role for i in imgs],
        "image_formats": [i.format for i in imgs],
        "image_widths": [i.width for i in imgs],
        "image_heights": [i.height for i in imgs],
        "image_bytes": [len(i.data) for i in imgs],
        "image_sha256": [i.sha256 for i in imgs],
        "width": primary.width if primary else None,
        "height": primary.height if primary else None,
        "min_side": min((min(i.width, i.height) for i in imgs), default=None),
        "max_side": max((max(i.width, i.height) for i in imgs), default=None),
        "pixels": sum(i.width * i.height for i in imgs),
        "shard": shard,
        "offset": offset,
        "size": size,
    }


def _arrow_schema(roles: list[str]) -> pa.Schema:
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    features = {
        c: {"dtype": "string", "_type": "Value"} for c in ("__key__", "task", "text", "json")
    }
    features.update({r: {"_type": "Image"} for r in roles})
    hf_meta = json.dumps({"info": {"features": features}})
    fields = [(c, pa.string()) for c in ("__key__", "task", "text", "json")]
    fields += [(r, image) for r in roles]
    return pa.schema(fields, metadata={"huggingface": hf_meta})


def _write_arrow(file: io.BufferedWriter, samples: list[Sample]) -> None:
    roles = [img.role for img in samples[0].images] if samples else []
    columns: dict[str, list[Any]] = {c: [] for c in ("__key__", "task", "text", "json", *roles)}
    for s in samples:
        columns["__key__"].append(s.id)
        columns["task"].append(s.task)
        columns["text"].append(s.text())
        columns["json"].append(json.dumps(s.metadata(), ensure_ascii=False, sort_keys=True))
        for img in s.images:
            columns[img.role].append({"bytes": img.data, "path": f"{s.id}.{img.role}.{img.format}"})
    table = pa.table(columns, schema=_arrow_schema(roles))
    with pa.ipc.new_stream(file, table.schema) as stream:
        stream.write_table(table)


def _tar_members(fileobj: io.IOBase, path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        with tarfile.open(fileobj=fileobj, mode="r:") as tar:
            for info in tar:
                if not info.isfile():
                    raise ShardError(f"{path}: member {info.name!r} is not a regular file")
                yield info.name, tar.extractfile(info).read()
    except tarfile.TarError as e:
        raise ShardError(f"{path}: unreadable tar ({e})") from None


def _split_member(name: str) -> tuple[str, str]:
    """WebDataset's rule: the key is the basename up to its first dot."""
    base = name.rsplit("/", 1)[-1]
    key, _, field_name = base.partition(".")
    return key, field_name


def iter_tar_groups(path: Path, members: Iterator[tuple[str, bytes]]) -> Iterator[Sample]:
    """Group consecutive members by key into samples (raises if a key reappears later)."""
    seen: set[str] = set()
    key, fields = None, {}
    for name, data in members:
        k, f = _split_member(name)
        if k != key:
            if key is not None:
                yield _build(path, key, fields)
            if k in seen:
                raise ShardError(f"{path}: key {k}: members are not adjacent")
            seen.add(k)
            key, fields = k, {}
        fields[f] = data
    if key is not None:
        yield _build(path, key, fields)


def _build(path: Path, key: str, fields: dict[str, bytes]) -> Sample:
    if "json" not in fields:
        raise ShardError(f"{path}: key {key}: no {key}.json member")
    try:
        meta = json.loads(fields["json"])
    except json.JSONDecodeError as e:
        raise ShardError(f"{path}: key {key}: invalid JSON ({e})") from None
    if meta.get("id") != key:
        raise ShardError(f"{path}: key {key}: JSON id {meta.get('id')!r} differs from member key")
    images = {f.split(".", 1)[0]: d for f, d in fields.items() if f != "json"}
    try:
        return Sample.from_metadata(meta, images)
    except (KeyError, TypeError, ValueError) as e:
        raise ShardError(f"{path}: key {key}: {e}") from None


def read_arrow_table(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_stream(source).read_all()


def _arrow_row_sample(path: Path, row: dict[str, Any]) -> Sample:
    meta = json.loads(row["json"])
    images = {h["role"]: row[h["role"]]["bytes"] for h in meta["images"]}
    if meta.get("id") != row["__key__"]:
        raise ShardError(f"{path}: key {row['__key__']}: JSON id differs from __key__")
    return Sample.from_metadata(meta, images)


class ShardFormat(ABC):
    """One shard format: its data-file suffix, how samples share a shard, writing and reading.

    `add` and `finish` write one shard's data file; `buffered` is that shard's list for a
    format that can only write the file at the end.
    """

    name: str
    suffix: str

    @abstractmethod
    def layout(self, sample: Sample) -> tuple[str, ...]:
        """What must be equal for two samples to share a shard (their member or column set)."""

    @abstractmethod
    def add(
        self, file: io.BufferedWriter, sample: Sample, buffered: list[Sample]
    ) -> tuple[int, int]:
        """Write (or buffer) one sample; returns its sidecar offset and size."""

    @abstractmethod
    def finish(self, file: io.BufferedWriter, buffered: list[Sample]) -> None:
        """Complete the data file."""

    @abstractmethod
    def read(self, path: Path, offset: int, size: int) -> Sample:
        """One sample by its sidecar offset and size."""

    @abstractmethod
    def iter(self, path: Path) -> Iterator[Sample]:
        """Every sample of the data file, in order."""


class WebDatasetFormat(ShardFormat):
    """Tar members per sample; the sidecar offset and size are the sample's byte range."""

    name, suffix = "webdataset", ".tar"

    def layout(self, sample: Sample) -> tuple[str, ...]:
        return (sample.task, *(f"{img.role}.{img.format}" for img in sample.images))

    def add(
        self, file: io.BufferedWriter, sample: Sample, buffered: list[Sample]
    ) -> tuple[int, int]:
        # Members are written directly (header, data, padding) rather than through
        # TarFile.addfile, which copies every payload in 16 KB pieces.
        start = file.tell()
        for name, data in member_names(sample):
            file.write(member_header(name, len(data)))
            file.write(data)
            file.write(b"\0" * (-len(data) % TAR_BLOCK))
        return start, file.tell() - start

    def finish(self, file: io.BufferedWriter, buffered: list[Sample]) -> None:
        end = file.tell() + 2 * TAR_BLOCK  # two zero blocks end the archive
        file.write(b"\0" * (2 * TAR_BLOCK + (-end % tarfile.RECORDSIZE)))

    def read(self, path: Path, offset: int, size: int) -> Sample:
        """Only the sample's byte range is read (unbuffered)."""
        with open(path, "rb", buffering=0) as f:
            chunk = os.pread(f.fileno(), size, offset)
        if len(chunk) != size:
            raise ShardError(f"{path}: offset {offset} size {size} runs past the end of the shard")
        samples = list(iter_tar_groups(path, _tar_members(io.BytesIO(chunk), path)))
        if len(samples) != 1:
            raise ShardError(f"{path}: expected one sample in the byte range, found {len(samples)}")
        return samples[0]

    def iter(self, path: Path) -> Iterator[Sample]:
        with open(path, "rb") as f:
            yield from iter_tar_groups(path, _tar_members(f, path))


class ArrowFormat(ShardFormat):
    """One Arrow IPC stream written at commit; the sidecar offset is the row index."""

    name, suffix = "arrow", ".arrow"

    def layout(self, sample: Sample) -> tuple[str, ...]:
        return (sample.task, *(img.role for img in sample.images))

    def add(
        self, file: io.BufferedWriter, sample: Sample, buffered: list[Sample]
    ) -> tuple[int, int]:
        buffered.append(sample)
        return len(buffered) - 1, sum(len(d) for _, d in member_names(sample))

    def finish(self, file: io.BufferedWriter, buffered: list[Sample]) -> None:
        _write_arrow(file, buffered)

    def read(self, path: Path, offset: int, size: int) -> Sample:
        """Memory-mapped: only the row at index `offset` is touched."""
        table = read_arrow_table(path)
        if not 0 <= offset < table.num_rows:
            raise ShardError(f"{path}: row {offset} out of range ({table.num_rows} rows)")
        return _arrow_row_sample(path, table.slice(offset, 1).to_pylist()[0])

    def iter(self, path: Path) -> Iterator[Sample]:
        table = read_arrow_table(path)
        for batch in table.to_batches(max_chunksize=64):
            for row in batch.to_pylist():
                yield _arrow_row_sample(path, row)


WEBDATASET = WebDatasetFormat()
FORMATS: dict[str, ShardFormat] = {f.name: f for f in (WEBDATASET, ArrowFormat())}
SHARD_FORMATS = tuple(FORMATS)
DEFAULT_FORMAT = WEBDATASET.name


def get_format(name: str) -> ShardFormat:
    """The format registered under `name` (ValueError naming the known ones otherwise)."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown shard format {name!r} ({SHARD_FORMATS})") from None


@dataclass
class ShardWriter:
    """Writes one shard under temporary names; `commit()` renames it into place.

    With `durable`, the data file is fsync'ed before it is renamed, so a done marker also
    survives a power loss; without it a killed process still never leaves a partial shard
    marked done (the page cache outlives the process), and `corpus validate` checks every
    image's sha256 after a machine crash. fsync makes ingest disk-bound (bench/ingest.py).
    """

    directory: Path
    name: str
    shard_format: str = DEFAULT_FORMAT
    durable: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    nbytes: int = 0

    def __post_init__(self) -> None:
        self.format = get_format(self.shard_format)
        self.data_path = self.directory / f"{self.name}{self.format.suffix}"
        # A private temporary name: two writers of one shard (say, a stale worker and a
        # resumed run) can never write into the same file.
        self._tmp = temporary_name(self.data_path)
        self._file = open(self._tmp, "wb")  # noqa: SIM115 - closed in commit()
        self._buffered: list[Sample] = []

    def add(self, sample: Sample) -> None:
        offset, size = self.format.add(self._file, sample, self._buffered)
        self.nbytes += size
        self.rows.append(sidecar_row(sample, self.name, offset, size))

    def commit(self) -> None:
        """Finish the data file and sidecar, rename both into place, then write the marker."""
        self.format.finish(self._file, self._buffered)
        self._file.flush()
        if self.durable:
            os.fsync(self._file.fileno())
        self._file.close()
        sidecar = self.directory / f"{self.name}.parquet"
        sidecar_tmp = temporary_name(sidecar)
        pq.write_table(pa.Table.from_pylist(self.rows, schema=SIDECAR_SCHEMA), sidecar_tmp)
        os.replace(self._tmp, self.data_path)
        os.replace(sidecar_tmp, sidecar)
        done = self.directory / f"{self.name}.done"
        done.write_text(json.dumps({"samples": len(self.rows), "bytes": self.nbytes}) + "\n")


class ShardRouter:
    """Routes samples to one open shard per layout, starting a new part past the size cap."""

    def __init__(
        self,
        shards_dir: Path,
        prefix: str,
        shard_format: str,
        max_bytes: int,
        durable: bool = False,
    ):
        self.shards_dir, self.prefix = shards_dir, prefix
        self.shard_format, self.max_bytes, self.durable = shard_format, max_bytes, durable
        self.format = get_format(shard_format)
        self.open: dict[tuple[str, ...], ShardWriter] = {}
        self.names: list[str] = []

    def add(self, sample: Sample) -> None:
        key = self.format.layout(sample)
        writer = self.open.get(key)
        if writer is None:
            name = f"{self.prefix}-{len(self.names):03d}"
            writer = ShardWriter(self.shards_dir, name, self.shard_format, self.durable)
            self.open[key] = writer
            self.names.append(name)
        writer.add(sample)
        if writer.nbytes >= self.max_bytes:
            writer.commit()
            del self.open[key]

    def commit_all(self) -> list[str]:
        for writer in self.open.values():
            writer.commit()
        self.open.clear()
        return self.names


def format_of(path: Path) -> ShardFormat:
    """The format of a shard data file, from its suffix."""
    for fmt in FORMATS.values():
        if path.suffix == fmt.suffix:
            return fmt
    raise ShardError(f"{path}: not a shard data file ({[f.suffix for f in FORMATS.values()]})")


def data_path(shards_dir: Path, name: str) -> Path:
    """The data file of a complete shard, whichever format it is in."""
    for fmt in FORMATS.values():
        p = shards_dir / f"{name}{fmt.suffix}"
        if p.exists():
            return p
    raise ShardError(f"{shards_dir}/{name}: shard data file missing")


def iter_shard(path: Path) -> Iterator[Sample]:
    """Every sample of a shard data file, in order."""
    return format_of(path).iter(path)


def read_sample(path: Path, offset: int, size: int) -> Sample:
    """One sample from a shard data file by its sidecar offset and size."""
    return format_of(path).read(path, offset, size)


def complete_shards(shards_dir: Path) -> list[str]:
    """Names of the shards whose done marker exists, sorted."""
    return sorted(p.stem for p in shards_dir.glob("*.done"))

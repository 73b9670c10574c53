"""Chart archives: the tar layout Go's `archive/tar` writes for Helm, gzip, and reading back.

`write_tar` produces, for the same members and modification time, the bytes `helm package` does:
a ustar header per regular file (mode 0644, uid/gid 0, no user or group names, no directory
entries), long names split into ustar's prefix field the way Go splits them, and two zero blocks
at the end without padding the record. A name ustar cannot hold (over 255 bytes, or not ASCII)
falls back to a PAX header, which Helm reads fine but would not write byte for byte the same.

`gzip_bytes` is deterministic (mtime 0, comment `Helm`, as Helm's header); deflate output is
zlib's, not Go's, so compare archives by their tar content, not by .tgz digests.
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zlib
from typing import Iterable, List, Optional, Tuple

BLOCK = 512
FILE_MODE = 0o644
_NAME_SIZE = 100
_PREFIX_SIZE = 155


def write_tar(members: Iterable[Tuple[str, bytes]], mtime: int = 0) -> bytes:
    """An uncompressed tar of `members` (name, content) in the given order."""
    out = io.BytesIO()
    for name, data in members:
        out.write(_header(name, len(data), mtime))
        out.write(data)
        out.write(b"\0" * (-len(data) % BLOCK))
    out.write(b"\0" * (2 * BLOCK))
    return out.getvalue()


def _header(name: str, size: int, mtime: int) -> bytes:
    split = _split_ustar_name(name)
    if split is None:
        return _pax_header(name, size, mtime)
    prefix, short_name = split
    header = bytearray(BLOCK)
    _put(header, 0, _NAME_SIZE, short_name.encode("ascii"))
    _put(header, 100, 8, _octal(FILE_MODE, 8))
    _put(header, 108, 8, _octal(0, 8))
    _put(header, 116, 8, _octal(0, 8))
    _put(header, 124, 12, _octal(size, 12))
    _put(header, 136, 12, _octal(mtime, 12))
    header[148:156] = b" " * 8
    header[156:157] = b"0"
    _put(header, 257, 6, b"ustar\0")
    _put(header, 263, 2, b"00")
    _put(header, 329, 8, _octal(0, 8))
    _put(header, 337, 8, _octal(0, 8))
    _put(header, 345, _PREFIX_SIZE, prefix.encode("ascii"))
    checksum = sum(header)
    header[148:156] = f"{checksum:06o}".encode("ascii") + b"\0 "
    return bytes(header)


def _put(header: bytearray, offset: int, size: int, value: bytes) -> None:
    if len(value) > size:
        raise ValueError(f"{value!r} does not fit a {size}-byte tar header field")
    header[offset : offset + len(value)] = value


def _octal(value: int, size: int) -> bytes:
    return f"{value:0{size - 1}o}".encode("ascii") + b"\0"


def _split_ustar_name(name: str) -> Optional[Tuple[str, str]]:
    """("", name) when it fits; else (prefix, rest) split at the last `/` that makes both fit, as
    Go does; None when ustar cannot hold the name."""
    if not name.isascii():
        return None
    if len(name) <= _NAME_SIZE:
        return "", name
    cut = name.rfind("/", 0, min(len(name), _PREFIX_SIZE + 1))
    if cut <= 0 or len(name) - cut - 1 > _NAME_SIZE or len(name) - cut - 1 == 0:
        return None
    return name[:cut], name[cut + 1 :]


def _pax_header(name: str, size: int, mtime: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = FILE_MODE
    info.uname = info.gname = ""
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "strict")


def gzip_bytes(data: bytes) -> bytes:
    """`data` gzipped reproducibly: header with mtime 0, OS "unknown" and the comment `Helm`."""
    header = b"\x1f\x8b\x08" + bytes([0x10]) + struct.pack("<I", 0) + b"\x00\xff" + b"Helm\0"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    body = compressor.compress(data) + compressor.flush()
    trailer = struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return header + body + trailer


def read_tar_files(tar_bytes: bytes) -> List[Tuple[str, bytes]]:
    """(name, content) of every regular file in an uncompressed tar, in archive order."""
    files: List[Tuple[str, bytes]] = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r:") as tar:
        for member in tar.getmembers():
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                files.append((member.name, extracted.read()))
    return files


def read_chart_archive(tgz_bytes: bytes) -> List[Tuple[str, bytes]]:
    """The files of a gzipped chart archive as (path inside the chart, content), archive order;
    the leading `<chart-name>/` directory is dropped as Helm's loader does. Raises ValueError
    when the bytes are not a gzipped tar."""
    try:
        tar_bytes = gzip.decompress(tgz_bytes)
        members = read_tar_files(tar_bytes)
    except (OSError, EOFError, tarfile.TarError, zlib.error) as e:
        raise ValueError(f"not a gzipped tar archive: {e}") from e
    files: List[Tuple[str, bytes]] = []
    for name, data in members:
        parts = name.replace("\\", "/").split("/")
        relpath = "/".join(part for part in parts[1:] if part not in ("", "."))
        if relpath:
            files.append((relpath, data))
    return files

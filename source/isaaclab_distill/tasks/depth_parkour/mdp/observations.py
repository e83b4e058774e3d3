"""Observation terms of the depth-parkour task: the depth image, the gait clock and the privileged dynamics terms."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.envs.mdp import image_depth
from isaaclab.managers import ManagerTermBase, ObservationTermCfg, SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.assets import Articulation
    from isaaclab.envs import ManagerBasedEnv


class depth_image(image_depth):
    """Depth image ``(num_envs, frame_stack, H, W)`` from a (ray-caster) camera, clipped to ``[0, max_depth]``, scaled.

    Channel first (``channel_first=True``, the CNN layout; ``False`` gives Isaac Lab's ``(num_envs, H, W, C)``).

    The value of a pixel is ``depth / max_depth + offset``: ``[0, 1]`` with ``offset=0`` (0 = at the lens, 1 = at or
    beyond ``max_depth`` or no hit), ``[-0.5, 0.5]`` with ``offset=-0.5``. The camera's ``update_period`` sets how
    often the image changes (it is held in between). ``blank=True`` is the ablation that shows whether a student uses
    the image: every pixel reads "far" (``1 + offset``), as if nothing were in range
    (``env.observations.depth.image.params.blank=true``). ``flatten=True`` gives ``(num_envs, frame_stack * H * W)``,
    a vector to concatenate with others (the depth-image teacher's input).
    """

    def __call__(
        self,
        env: ManagerBasedEnv,
        sensor_cfg: SceneEntityCfg,
        data_type: str = "distance_to_image_plane",
        max_depth: float = 2.0,
        offset: float = 0.0,
        channel_first: bool = True,
        frame_stack: int = 1,
        blank: bool = False,
        flatten: bool = False,
    ) -> torch.Tensor:
        image = super().__call__(
            env,
            sensor_cfg,
            data_type,
            normalize=True,
            invalid_value=max_depth,
            max_depth=max_depth,
            channel_first=channel_first,
            frame_stack=frame_stack,
        )
        image = (torch.ones_like(image) if blank else image) + offset
        return image.reshape(image.shape[0], -1) if flatten else image


class body_mass_offset(ManagerTermBase):
    """Mass change [kg] of the selected bodies relative to the USD masses (privileged), shape ``(N, num_bodies)``.

    The default masses are read when the observation manager is built, which happens before the ``startup`` events
    (:class:`isaaclab.envs.mdp.randomize_rigid_body_mass`) change them.
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        self._asset: Articulation = env.scene[asset_cfg.name]
        self._default_mass = self._asset.data.body_mass.torch.clone()

    def __call__(self, env: ManagerBasedEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
        ids = asset_cfg.body_ids
        return self._asset.data.body_mass.torch[:, ids] - self._default_mass[:, ids]


class body_friction(ManagerTermBase):
    """Friction coefficient of the selected bodies' collision shapes (privileged), shape ``(N, num_bodies)``.

    Reads the per-shape ``shape_material_mu`` of the Newton model, which
    :class:`isaaclab.envs.mdp.randomize_rigid_body_material` writes (one value per shape); a body with several shapes
    reports their mean. Newton physics only.
    """

    def __init__(self, cfg: ObservationTermCfg, env: ManagerBasedEnv) -> None:
        super().__init__(cfg, env)
        asset_cfg: SceneEntityCfg = cfg.params["asset_cfg"]
        asset: Articulation = env.scene[asset_cfg.name]
        view = getattr(asset, "_root_view", None)
        if view is None or not hasattr(view, "body_shapes"):
            raise RuntimeError("body_friction reads Newton's shape materials; select a Newton physics preset.")
        import warp as wp

        model = env.sim.physics_manager.get_model()
        self._mu = wp.to_torch(view.get_attribute("shape_material_mu", model)[:, 0])  # [N, shapes], shared memory
        body_ids = asset_cfg.body_ids
        if isinstance(body_ids, slice):
            body_ids = list(range(asset.num_bodies))[body_ids]
        backend_ids = asset.map_body_ids_to_backend(list(body_ids))
        # averaging matrix [shapes, bodies]: column b holds 1/k on the k shapes of body b
        weights = torch.zeros(self._mu.shape[1], len(backend_ids), device=self._mu.device)
        for col, body in enumerate(backend_ids):
            shapes = list(view.body_shapes[body])
            if not shapes:
                raise ValueError(f"body '{asset.body_names[body_ids[col]]}' has no collision shape")
            weights[shapes, col] = 1.0 / len(shapes)
        self._weights = weights

    def __call__(self, env: ManagerBasedEnv, asset_cfg: SceneEntityCfg) -> torch.Tensor:
        return (self._mu @ self._weights).to(env.device)


def gait_phase(env: ManagerBasedEnv, action_name: str = "joint_pos") -> torch.Tensor:
    """``(sin, cos)`` of the gait clock of a :class:`~.actions.TrotJointPositionAction` term, shape ``(N, 2)``."""
    phase = env.action_manager.get_term(action_name).phase
    return torch.stack((torch.sin(phase), torch.cos(phase)), dim=1)

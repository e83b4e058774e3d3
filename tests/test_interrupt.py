"""Ctrl-C handling without the simulator: the first SIGINT is a request, the loop raises at its next check."""

from __future__ import annotations

import os
import signal

import pytest

from isaaclab_distill.utils.interrupt import GracefulInterrupt


def test_first_ctrl_c_is_a_request_checked_by_the_loop_second_stops_at_once():
    before = signal.getsignal(signal.SIGINT)
    with GracefulInterrupt() as interrupt:
        interrupt.check()  # nothing pending
        os.kill(os.getpid(), signal.SIGINT)
        assert interrupt.requested  # delivered, but no KeyboardInterrupt raised where it landed
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs at the next bytecode
                pass
    assert signal.getsignal(signal.SIGINT) is before


def test_runner_checks_for_ctrl_c_at_every_step_and_minibatch(tmp_path):
    from helpers.toy import OffsetTeacherModel, PointEnv, small_cfg

    from isaaclab_distill.distillation import DistillationRunner, Teacher
    from isaaclab_distill.models import MLPStudent

    trainer = DistillationRunner(
        PointEnv(), Teacher(OffsetTeacherModel([0.0, 0.0])), MLPStudent(2, 2, [8]), small_cfg(), str(tmp_path)
    )
    calls = []
    trainer.check_interrupt = lambda: calls.append(1)
    trainer.collect(epoch=0)
    assert len(calls) == trainer.cfg.num_steps_per_env
    trainer.check_interrupt = lambda: (_ for _ in ()).throw(KeyboardInterrupt)
    with pytest.raises(KeyboardInterrupt):
        trainer.update()

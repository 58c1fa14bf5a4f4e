"""The typed definition model: one module per step kind, matching ``templates/steps/`` one-for-one."""

from wfb_jupyter.compiler.model._common import (
    OnError,
    RetrySpec,
    Step,
    Timeouts,
    duration_seconds,
    step_parents,
    walk,
)
from wfb_jupyter.compiler.model._steps import STEP_KINDS
from wfb_jupyter.compiler.model.activity import ActivityStep
from wfb_jupyter.compiler.model.child_workflow import ChildWorkflowStep
from wfb_jupyter.compiler.model.fail import FailStep
from wfb_jupyter.compiler.model.for_each import ForEachStep
from wfb_jupyter.compiler.model.inputs import InputField, input_json_schema, validate_input
from wfb_jupyter.compiler.model.parallel import ParallelStep
from wfb_jupyter.compiler.model.sequence import SequenceStep
from wfb_jupyter.compiler.model.set import SetStep
from wfb_jupyter.compiler.model.sleep import SleepStep
from wfb_jupyter.compiler.model.switch import Case, SwitchStep
from wfb_jupyter.compiler.model.wait_signal import WaitSignalStep
from wfb_jupyter.compiler.model.workflow import (
    Defaults,
    QuerySpec,
    SignalSpec,
    UpdateSpec,
    WorkflowDefinition,
    parse_workflow,
)

__all__ = [
    # definition
    "Defaults",
    "InputField",
    "QuerySpec",
    "SignalSpec",
    "UpdateSpec",
    "WorkflowDefinition",
    "duration_seconds",
    "input_json_schema",
    "parse_workflow",
    "validate_input",
    # steps
    "STEP_KINDS",
    "ActivityStep",
    "Case",
    "ChildWorkflowStep",
    "FailStep",
    "ForEachStep",
    "OnError",
    "ParallelStep",
    "RetrySpec",
    "SequenceStep",
    "SetStep",
    "SleepStep",
    "Step",
    "SwitchStep",
    "Timeouts",
    "WaitSignalStep",
    "step_parents",
    "walk",
]

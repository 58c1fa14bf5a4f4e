"""The typed definition model: one module per step kind, matching ``templates/steps/`` one-for-one."""

from compiler.model._common import OnError, RetrySpec, Step, Timeouts, walk
from compiler.model._steps import STEP_KINDS
from compiler.model.activity import ActivityStep
from compiler.model.child_workflow import ChildWorkflowStep
from compiler.model.fail import FailStep
from compiler.model.for_each import ForEachStep
from compiler.model.inputs import InputField, input_json_schema, validate_input
from compiler.model.parallel import ParallelStep
from compiler.model.sequence import SequenceStep
from compiler.model.set import SetStep
from compiler.model.sleep import SleepStep
from compiler.model.switch import Case, SwitchStep
from compiler.model.wait_signal import WaitSignalStep
from compiler.model.workflow import (
    Defaults,
    QuerySpec,
    SignalSpec,
    WorkflowDefinition,
    parse_workflow,
)

__all__ = [
    # definition
    "Defaults",
    "InputField",
    "QuerySpec",
    "SignalSpec",
    "WorkflowDefinition",
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
    "walk",
]

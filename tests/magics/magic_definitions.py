"""Definitions the magic tests build."""

HELLO = """\
input:
  who: string
steps:
  - id: greet
    call: echo
    with: {value: "Hello ${input.who}"}
output: ${steps.greet.result}
"""

APPROVAL = """\
input:
  amount: {type: number, minimum: 0}
signals:
  decide: {payload: {approved: boolean}, set: {approved: "${signal.approved}"}}
queries:
  decision: ${vars.approved}
vars:
  approved: null
steps:
  - id: check
    call: echo
    with: {value: "${input.amount}"}
  - id: wait_for_decision
    wait_signal: decide
    timeout: 5m
output: ${vars.approved}
"""

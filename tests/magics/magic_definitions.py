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

LIMITED_APPROVAL = """\
input:
  amount: integer
vars:
  approver: null
  limit: 1000
updates:
  approve:
    payload: {by: string}
    validate: ${input.amount <= vars.limit}
    message: "${input.amount} is over the limit of ${vars.limit}"
    set: {approver: "${update.by}"}
    result: {approved_by: "${vars.approver}"}
  raise_limit:
    payload: {limit: integer}
    set: {limit: "${update.limit}"}
    result: ${vars.limit}
signals:
  done: {}
steps:
  - id: wait_for_done
    wait_signal: done
    timeout: 5m
output: ${vars.approver}
"""

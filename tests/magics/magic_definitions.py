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

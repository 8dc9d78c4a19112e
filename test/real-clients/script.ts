// What the two fake model servers share: a script of steps (tool calls, then a message), how a
// request picks its step (the first step whose calls are not all answered yet), and how the
// default scripts are built.

export type ScriptStep<Call> = { type: 'tools'; calls: Call[] } | { type: 'message'; text: string };

/** `calls` one per round (`sequential`) or all in one response (`parallel`), then `finalText`. */
export function stepsFor<Call>(calls: Call[], mode: 'sequential' | 'parallel' | undefined, finalText = 'Done.'): ScriptStep<Call>[] {
  const steps: ScriptStep<Call>[] =
    calls.length === 0 ? [] : mode === 'parallel' ? [{ type: 'tools', calls }] : calls.map((c) => ({ type: 'tools' as const, calls: [c] }));
  steps.push({ type: 'message', text: finalText });
  return steps;
}

/**
 * The step a main request gets: the first step whose tool calls do not all have a result in the
 * request yet; `idOf` gives a call's id at (step, index). Past the script's end: "Done.".
 */
export function nextStep<Call, S extends ScriptStep<Call>>(
  script: readonly S[],
  answered: Set<string>,
  idOf: (step: number, index: number, call: Call) => string,
): { step: S | { type: 'message'; text: string }; stepIndex: number } {
  for (let s = 0; s < script.length; s++) {
    const step = script[s]!;
    if (step.type === 'message') return { step, stepIndex: s };
    if (!step.calls.every((c, i) => answered.has(idOf(s, i, c)))) return { step, stepIndex: s };
  }
  return { step: { type: 'message', text: 'Done.' }, stepIndex: script.length };
}

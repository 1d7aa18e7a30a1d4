import type {
  ActionCategory,
  ActionKind,
  Check,
  Postmortem,
  PostmortemChecks,
  RootCauseCategory,
} from './postmortem.ts';

/**
 * The checks the handbook asks of a postmortem before approval, worded as it words them, and the guide texts
 * pages show beside the choices (in our words, close to the handbook's meaning). Blocking checks stop the
 * request for approval; warnings are advice (wording of actions, blame).
 */

/** The template's fields as the handbook names and explains them (pages, the Markdown headings, the checks). */
export const postmortemFieldGuide = {
  summary: {
    label: 'Incident summary',
    instructions:
      'Summarise the incident in a few sentences: what happened, its severity and why, and how long the impact lasted.',
  },
  leadup: {
    label: 'Leadup',
    instructions:
      'Describe the circumstances that led to the incident, for example earlier changes that introduced latent bugs.',
  },
  fault: {
    label: 'Fault',
    instructions: 'Describe what did not work as expected. Link graphs or data that show the fault.',
  },
  impact: {
    label: 'Impact',
    instructions:
      'Describe what internal and external customers saw during the incident, and how many support cases were raised.',
  },
  detection: {
    label: 'Detection',
    instructions:
      'How and when was the incident detected? How could the time to detect be improved: how would you cut it in half?',
  },
  response: {
    label: 'Response',
    instructions: 'Who responded, when and how? Were there delays or barriers to the response?',
  },
  recovery: {
    label: 'Recovery',
    instructions:
      'How and when was service restored? How did you come to know how to mitigate the impact? How would you cut the time to mitigate in half?',
  },
  timeline: {
    label: 'Timeline',
    instructions:
      'A detailed timeline in UTC: the leadup, the start of impact, detection, escalations, decisions, changes and the end of impact.',
  },
  fiveWhys: {
    label: 'Five whys',
    instructions:
      'Start from the impact and ask why it happened, then why that happened, and so on: five times, until you reach the root cause.',
  },
  rootCause: {
    label: 'Root cause',
    instructions:
      'The thing that has to change to stop this class of incident from happening again: the best place in the chain of events to change.',
  },
  rootCauseCategory: {
    label: 'Root cause category',
    instructions: 'Which kind of cause it was: bug, change, scale, architecture, dependency or unknown.',
  },
  externalSummary: {
    label: 'External summary',
    instructions:
      'What customers are told when the postmortem is published, on the status page and its feeds: in their words, what happened, for how long, and what we are changing. No internal names, systems or links.',
  },
  backlogCheck: {
    label: 'Backlog check',
    instructions:
      'Was anything in the backlog that would have prevented this incident or made it less severe? If so, why was it not done?',
  },
  recurrence: {
    label: 'Recurrence',
    instructions: 'Has this root cause caused incidents before? If so, why did it happen again?',
  },
  lessons: {
    label: 'Lessons learned',
    instructions: 'What went well, what could have gone better, and where did we get lucky?',
  },
  actions: {
    label: 'Actions',
    instructions:
      'What will we do so that this class of incident does not happen again, who owns each action and where is it tracked?',
  },
} as const;

export const lessonsGuide = {
  wentWell: { label: 'What went well' },
  couldBeBetter: { label: 'What could have gone better' },
  gotLucky: { label: 'Where we got lucky' },
} as const;

/** The handbook's categories of causes: what each means and what to do about it. */
export const rootCauseGuide: Record<
  RootCauseCategory,
  { label: string; definition: string; whatToDo: string }
> = {
  bug: {
    label: 'Bug',
    definition: 'A change to our own code: a defect we shipped.',
    whatToDo: 'Test it. Ship in small steps: canary deploys, incremental rollouts, feature flags.',
  },
  change: {
    label: 'Change',
    definition: 'A change that is not code: configuration, infrastructure, a manual step or a process.',
    whatToDo: 'Improve how changes are reviewed and managed before they are made.',
  },
  scale: {
    label: 'Scale',
    definition:
      'A failure to scale: a resource limit nobody could see coming, or capacity that was never planned.',
    whatToDo: 'Monitor resource limits and alert before they are reached; make a capacity plan.',
  },
  architecture: {
    label: 'Architecture',
    definition: 'The design does not fit the conditions it runs in.',
    whatToDo: 'Review the design; consider changing the platform it runs on.',
  },
  dependency: {
    label: 'Dependency',
    definition: 'A fault in a service we depend on but do not run (a third party).',
    whatToDo:
      'Manage the risk: build resilience to its failure, or accept occasional outages and plan for them. Check it against what we expect of it (its service level expectation).',
  },
  unknown: {
    label: 'Unknown',
    definition: 'The cause cannot be determined.',
    whatToDo:
      'Improve observability: add the logging, monitoring and debugging that would show it next time.',
  },
};

/** The handbook's table of action categories: the question each answers and examples. */
export const actionCategoryGuide: Record<
  ActionCategory,
  { label: string; question: string; examples: string }
> = {
  investigate: {
    label: 'Investigate this incident',
    question: 'What happened to cause this incident, and why?',
    examples: 'Analysing logs, diagramming the request path, reading heap dumps.',
  },
  mitigate: {
    label: 'Mitigate this incident',
    question: 'What did we do straight away to resolve and manage this event?',
    examples: 'Rolling back, cherry-picking a fix, pushing configuration, telling affected users.',
  },
  repair: {
    label: 'Repair damage from this incident',
    question: 'How did we resolve the immediate or collateral damage?',
    examples: 'Restoring data, fixing machines, removing traffic re-routes.',
  },
  detect: {
    label: 'Detect future incidents',
    question: 'How can we cut the time it takes to detect a similar failure accurately?',
    examples: 'Monitoring, alerting, plausibility checks on input and output.',
  },
  'mitigate-future': {
    label: 'Mitigate future incidents',
    question: 'How can we make future incidents like this one less severe or shorter?',
    examples:
      'Graceful degradation, dropping non-critical results, failing open, better dashboards and playbooks, process changes.',
  },
  'prevent-future': {
    label: 'Prevent future incidents',
    question: 'How can we stop this kind of failure from happening again?',
    examples:
      'Stability fixes, thorough unit tests, input validation, robust error handling, provisioning changes.',
  },
};

/** Why the future categories matter (the handbook: "Be sure to get at least one of these"). */
export const futureActionAdvice =
  '"Mitigate future incidents" and "Prevent future incidents" are the most likely source of actions that address the root cause. Be sure to get at least one of these.';

export const actionKindGuide: Record<ActionKind, { label: string; meaning: string }> = {
  priority: {
    label: 'Priority action',
    meaning:
      "Fixes the root cause. Due within the owning service's SLO (4 or 8 weeks), fixed when the postmortem is approved.",
  },
  improvement: {
    label: 'Improvement action',
    meaning:
      'Another improvement found in the postmortem; it does not address the root cause and has no SLO.',
  },
};

/** The handbook's advice on wording actions, with its own examples. */
export const actionWordingGuide = {
  actionable: 'Actionable: a sentence that starts with a verb and ends in a useful outcome, not a process.',
  specific: 'Specific: scoped as narrowly as possible, clear about what is and is not included.',
  bounded: 'Bounded: it says how to tell when it is finished.',
  examples: [
    {
      weak: 'Investigate monitoring for this scenario',
      strong: 'Add alerting for all cases where this service returns >1% errors',
    },
    {
      weak: 'Fix the issue that caused the outage',
      strong: 'Handle invalid postal code in user address form input safely',
    },
    {
      weak: 'Make sure engineer checks that database schema can be parsed before updating',
      strong: 'Add automated pre-submit check for schema changes',
    },
  ],
} as const;

export const blamelessAdvice =
  'Postmortems are blameless: refer to individuals by role (the on-call engineer, the incident manager), not by name, and ask why the system let it happen or made it look like the right thing to do, not who did it.';

/** People the blame check looks for: the organisation's incident managers, approvers and the like. */
export interface People {
  names: readonly string[];
  addresses: readonly string[];
}

/** The handbook asks for five whys; fewer than this many blocks, fewer than five warns. */
export const minimumWhys = 3;

// Imperative verbs an action may start with. A warning, not a rule: a missing verb only costs a warning.
const VERBS = new Set(
  `add adjust alarm alert align allow apply archive audit automate back backfill backup batch benchmark block
  bound build bump cache canary cap change check clarify clean close collect combine compress configure
  consolidate convert copy correct create deduplicate dedupe default define delete deploy deprecate detect
  disable document double downgrade drain drop emit enable encrypt enforce enumerate escalate establish expire
  export expose extend extract fail fix flag freeze gate grant halve handle harden hire implement import
  improve increase index inform install instrument integrate introduce invalidate isolate label limit load lock log
  lower make mark measure merge migrate mirror monitor move mute normalise normalize notify offload open
  optimise optimize page parallelise parallelize partition patch pause pin plan point port pre-warm prewarm
  prevent prioritise prioritize protect provision prune publish purge put queue raise rate-limit rebalance
  rebuild record redirect reduce refactor refresh register reindex reject release relocate remove rename
  reorder repair replace replay replicate report reproduce require reserve reset resize restart restore
  restrict retire retry return reuse revert review revoke rewrite roll rotate route run sanitise sanitize scale
  scan schedule secure send separate serve set shard shed ship shorten show sign simplify snapshot sort split
  spread stage standardise standardize start stop store stream strengthen subscribe suppress swap switch sync synchronise
  synchronize tag teach terminate test throttle tighten time-box timeout trace track train translate trigger
  trim truncate tune turn unify uninstall unpin update upgrade upsize use validate verify version warn wire
  wrap write`.split(/\s+/),
);

// Openers the handbook's examples call out: they describe a process, not an outcome that can be finished.
const VAGUE_OPENERS: ReadonlyArray<readonly [opener: string, why: string]> = [
  ['investigate', 'describes a process, not an outcome'],
  ['look into', 'describes a process, not an outcome'],
  ['look at', 'describes a process, not an outcome'],
  ['make sure', 'asks for a standing behaviour, not a change that can be finished'],
  ['ensure', 'asks for a standing behaviour, not a change that can be finished'],
  ['try to', 'does not commit to an outcome'],
  ['try', 'does not commit to an outcome'],
  ['consider', 'does not commit to an outcome'],
  ['think about', 'does not commit to an outcome'],
  ['explore', 'describes a process, not an outcome'],
  ['research', 'describes a process, not an outcome'],
  ['discuss', 'describes a process, not an outcome'],
  ['evaluate', 'describes a process, not an outcome'],
  ['assess', 'describes a process, not an outcome'],
  ['figure out', 'describes a process, not an outcome'],
  ['understand', 'describes a process, not an outcome'],
  ['follow up', 'describes a process, not an outcome'],
  ['continue', 'asks for more of the same, which never finishes'],
  ['keep', 'asks for more of the same, which never finishes'],
  ['be', 'asks people to behave differently instead of changing the system'],
  ['remember', 'asks people to behave differently instead of changing the system'],
];

// Words that never say when an action is finished.
const UNBOUNDED =
  /\b(ongoing|on-going|continue to|continuously|continually|constantly|always|forever|regularly|periodically|from now on|going forward|in the future|as needed|whenever possible|when possible|as much as possible|keep an eye)\b/i;
const QUANTIFIER = /\b(all|every|each|any|everything|everywhere|anything)\b/i;
// A quantifier is bounded by a number, a percentage or threshold, or a clause naming its scope.
const LIMIT =
  /\d|%|[<>\u2264\u2265]|\b(all|every|each|any)\b(?:\s+[\p{L}\p{N}_.'/-]+){0,3}?\s+(where|that|which|whose|in|on|of|from|for|behind|under|within|between|to|above|below|over|exceeding|returning|with)\s+\S/iu;

// Objects that name no specific change: "Improve monitoring", "Make the service more reliable".
const VAGUE_WORDS = new Set(
  `a an the our its their this that these those it things stuff everything something service services system
  systems platform product products code codebase infrastructure architecture monitoring alerting alerts
  observability logging testing tests test process processes procedure procedures quality performance
  reliability reliable robust robustness stable stability resilient resilience resiliency scalability scalable
  security secure safe safer safety better more less faster fast slower good great overall general generally
  in of to for and or with on be more robust issue issues problem problems outage outages incident incidents
  bug bugs error errors failure failures root cause causes caused cause scenario scenarios situation
  documentation docs communication comms response deploys deployments deployment release releases careful
  carefully properly correctly again future next time`.split(/\s+/),
);

const words = (text: string) =>
  text
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}%]+$/gu, ''))
    .filter(Boolean);

function quote(text: string, max = 80): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return `"${one.length > max ? `${one.slice(0, max - 1)}…` : one}"`;
}

/** The first words of a title that are not a verb, or a vague opener: undefined when it reads as an action. */
export function notActionable(title: string): string | undefined {
  const list = words(title);
  const first = list[0];
  if (!first) return 'it is empty';
  const start = list.slice(0, 2).join(' ');
  for (const [opener, why] of VAGUE_OPENERS) {
    if (start === opener || first === opener) return `it opens with "${opener}", which ${why}`;
  }
  const stem = first.replace(/^(re|pre|auto|un)-/, '');
  if (VERBS.has(first) || VERBS.has(stem)) return undefined;
  return 'it does not start with a verb';
}

/** Why a title does not say when it is finished, or undefined. */
export function notBounded(title: string): string | undefined {
  const unbounded = UNBOUNDED.exec(title);
  if (unbounded) return `"${unbounded[0]}" never finishes`;
  const quantifier = QUANTIFIER.exec(title);
  if (quantifier && !LIMIT.test(title))
    return `"${quantifier[0]}" has no limit (a number, a threshold or a named scope)`;
  return undefined;
}

/** A verb followed only by words that name nothing specific ("Improve monitoring"). */
export function tooBroad(title: string): boolean {
  const list = words(title);
  if (list.length === 0) return false;
  return list.slice(1).every((w) => VAGUE_WORDS.has(w));
}

// Blame phrases: said of people, they judge instead of explaining. "failed to" only with a person as subject
// (a service that "failed to connect" is a fact, not blame).
const BLAME =
  /\b(human error|human mistake|should(?:n't| not)? have|careless(?:ly|ness)?|negligen(?:t|ce)|fault of|(?:his|her|their|[\p{L}]+'s) fault|to blame|blame[ds]?|blaming|sloppy|incompeten(?:t|ce)|lazy|forgot to|neglected to|didn't bother|did not bother|(?:engineer|developer|operator|admin|administrator|person|someone|somebody|nobody|he|she|they|reviewer|on-call|oncall|team member|I|we|you)\s+failed to)\b/giu;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Addresses first: a name inside an address that was found is not found again. */
function personMatchers(people: People): { label: string; pattern: RegExp }[] {
  const matchers: { label: string; pattern: RegExp }[] = [];
  for (const address of people.addresses) {
    const trimmed = address.trim();
    if (!trimmed.includes('@')) continue;
    matchers.push({
      label: trimmed,
      pattern: new RegExp(
        `(?<![\\p{L}\\p{N}_.+-])${escapeRegExp(trimmed)}(?![\\p{L}\\p{N}_-]|\\.[\\p{L}\\p{N}])`,
        'giu',
      ),
    });
  }
  for (const name of people.names) {
    const parts = name.trim().split(/\s+/).filter(Boolean);
    if (parts.join('').length < 2) continue;
    const body = parts.map(escapeRegExp).join('\\s+');
    matchers.push({
      label: name.trim(),
      pattern: new RegExp(`(?<![\\p{L}\\p{N}_])${body}(?![\\p{L}\\p{N}_])`, 'giu'),
    });
  }
  return matchers;
}

/** The blame a text carries: people named and blaming phrases, each once. */
export function blameIn(text: string, people: People): string[] {
  if (!text) return [];
  const found = new Set<string>();
  let rest = text;
  for (const { label, pattern } of personMatchers(people)) {
    if (rest.search(pattern) === -1) continue;
    found.add(label);
    rest = rest.replace(pattern, ' ');
  }
  for (const match of text.matchAll(BLAME)) found.add(match[0].toLowerCase().replace(/\s+/g, ' '));
  return [...found];
}

/** Every place a person writes text, with its field name as the checks report it. */
function textPlaces(pm: Postmortem): { field: string; label: string; text: string }[] {
  const f = pm.fields;
  const places: { field: string; label: string; text: string }[] = [];
  const guide = postmortemFieldGuide;
  for (const name of ['summary', 'leadup', 'fault', 'impact', 'detection', 'response', 'recovery'] as const)
    places.push({ field: name, label: guide[name].label, text: f[name] });
  for (const [i, row] of f.timeline.entries())
    places.push({ field: `timeline[${i}].text`, label: `Timeline row ${i + 1}`, text: row.text });
  for (const [i, why] of f.fiveWhys.entries())
    places.push({ field: `fiveWhys[${i}]`, label: `Why ${i + 1}`, text: why });
  places.push({ field: 'rootCause', label: guide.rootCause.label, text: f.rootCause });
  places.push({ field: 'backlogCheck', label: guide.backlogCheck.label, text: f.backlogCheck });
  places.push({
    field: 'externalSummary',
    label: guide.externalSummary.label,
    text: f.externalSummary ?? '',
  });
  places.push({ field: 'recurrence.text', label: guide.recurrence.label, text: f.recurrence.text });
  for (const part of ['wentWell', 'couldBeBetter', 'gotLucky'] as const)
    places.push({ field: `lessons.${part}`, label: lessonsGuide[part].label, text: f.lessons[part] });
  for (const [i, action] of pm.actions.entries())
    places.push({ field: `actions[${i}].title`, label: `Action ${i + 1}`, text: action.title });
  return places;
}

const blank = (text: string | undefined) => !text?.trim();

// What the pre-fill cannot know, by field: the warning on a field still as the pre-fill wrote it.
const PREFILL_ASKS: Record<string, string> = {
  summary: 'check it and add what caused the incident and how it was mitigated',
  impact: 'add how many customers were affected and what they could not do',
  detection: 'add how the time to detect could be improved (how would you cut it in half?)',
  response: 'add any delays or barriers to the response',
  timeline: 'add the leadup, the decisions and the changes made',
  recurrence: 'say whether the same root cause caused these, and if so why it happened again',
};

/**
 * The postmortem against the handbook: blocking checks (every template field filled, a root cause category,
 * at least one priority action and at least one action that mitigates or prevents future incidents) and
 * warnings (actions that are not actionable, bounded or specific; blame; too few whys; text still as the
 * pre-fill wrote it; actions not tracked).
 */
export function checkPostmortem(pm: Postmortem, people: People): PostmortemChecks {
  const blocking: Check[] = [];
  const warnings: Check[] = [];
  const f = pm.fields;
  const guide = postmortemFieldGuide;
  const empty = (field: string, label: string, instructions: string) =>
    blocking.push({ code: 'field-empty', field, message: `${label} is empty. ${instructions}` });

  for (const name of ['summary', 'leadup', 'fault', 'impact', 'detection', 'response', 'recovery'] as const)
    if (blank(f[name])) empty(name, guide[name].label, guide[name].instructions);
  if (!f.timeline.some((row) => !blank(row.text)))
    blocking.push({
      code: 'timeline-empty',
      field: 'timeline',
      message: `The timeline has no rows. ${guide.timeline.instructions}`,
    });
  const whys = f.fiveWhys.filter((why) => !blank(why)).length;
  if (whys < minimumWhys) {
    blocking.push({
      code: 'five-whys',
      field: 'fiveWhys',
      message: `Five whys: ${whys === 0 ? 'none written' : `only ${whys} written`}; at least ${minimumWhys} are needed (the handbook asks for five). ${guide.fiveWhys.instructions}`,
    });
  } else if (whys < 5) {
    warnings.push({
      code: 'five-whys-short',
      field: 'fiveWhys',
      message: `Five whys: ${whys} written. The handbook asks "why" five times: keep asking until you reach the root cause.`,
    });
  }
  if (blank(f.rootCause)) empty('rootCause', guide.rootCause.label, guide.rootCause.instructions);
  if (!f.rootCauseCategory)
    blocking.push({
      code: 'root-cause-category',
      field: 'rootCauseCategory',
      message: `No root cause category. ${guide.rootCauseCategory.instructions}`,
    });
  if (blank(f.backlogCheck)) empty('backlogCheck', guide.backlogCheck.label, guide.backlogCheck.instructions);
  // Not blocking: a postmortem whose incident told no customer anything may have nothing to say outside.
  if (blank(f.externalSummary ?? ''))
    warnings.push({
      code: 'external-summary',
      field: 'externalSummary',
      message: `No external summary: the status page shows none when the postmortem is published. ${guide.externalSummary.instructions}`,
    });
  if (blank(f.recurrence.text))
    empty('recurrence.text', guide.recurrence.label, guide.recurrence.instructions);
  for (const part of ['wentWell', 'couldBeBetter', 'gotLucky'] as const)
    if (blank(f.lessons[part]))
      empty(
        `lessons.${part}`,
        `${guide.lessons.label}: ${lessonsGuide[part].label}`,
        guide.lessons.instructions,
      );

  if (!pm.actions.some((a) => a.kind === 'priority'))
    blocking.push({
      code: 'priority-action',
      field: 'actions',
      message: `No priority action. ${actionKindGuide.priority.label}s fix the root cause; at least one is needed for approval.`,
    });
  if (!pm.actions.some((a) => a.category === 'mitigate-future' || a.category === 'prevent-future'))
    blocking.push({
      code: 'future-action',
      field: 'actions',
      message: `No action to mitigate or prevent future incidents. ${futureActionAdvice}`,
    });

  pm.actions.forEach((action, i) => {
    const field = `actions[${i}].title`;
    const title = quote(action.title);
    const example = actionWordingGuide.examples[0];
    const whyNotActionable = notActionable(action.title);
    if (whyNotActionable) {
      warnings.push({
        code: 'action-not-actionable',
        field,
        message: `${title} is not actionable: ${whyNotActionable}. ${actionWordingGuide.actionable} For example "${example.strong}", not "${example.weak}".`,
      });
    }
    const bounded = notBounded(action.title);
    if (bounded) {
      warnings.push({
        code: 'action-not-bounded',
        field,
        message: `${title} is not bounded: ${bounded}. ${actionWordingGuide.bounded}`,
      });
    }
    if (!whyNotActionable && tooBroad(action.title)) {
      const specific = actionWordingGuide.examples[1];
      warnings.push({
        code: 'action-too-broad',
        field,
        message: `${title} is too broad: it names no specific change. ${actionWordingGuide.specific} For example "${specific.strong}", not "${specific.weak}".`,
      });
    }
    if (!action.trackerUrl) {
      warnings.push({
        code: 'action-not-tracked',
        field: `actions[${i}].trackerUrl`,
        message: `${title} is not linked to a tracker: raise it in the owning team's backlog and link it, so it is tracked to done.`,
      });
    }
  });

  for (const place of textPlaces(pm)) {
    const found = blameIn(place.text, people);
    if (found.length === 0) continue;
    warnings.push({
      code: 'blame',
      field: place.field,
      message: `${place.label} reads as blame (${found.map((b) => `"${b}"`).join(', ')}). ${blamelessAdvice}`,
    });
  }

  for (const name of pm.prefilled) {
    const asks = PREFILL_ASKS[name];
    const label = (guide as Record<string, { label: string }>)[name]?.label;
    if (asks && label)
      warnings.push({
        code: 'field-prefilled',
        field: name,
        message: `${label} is as the pre-fill wrote it from the incident: ${asks}.`,
      });
  }
  return { blocking, warnings };
}

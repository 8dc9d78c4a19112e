/**
 * Attribute names of the OTLP export. The GenAI ones are the OpenTelemetry GenAI semantic
 * conventions as `@opentelemetry/semantic-conventions` (pinned in package.json) declares them in
 * its `incubating` entry: each constant is typed by the package's own declaration, so a name the
 * package does not declare (or spells differently) fails `tsc`, and nothing of the package's
 * large incubating module ends up in the sidecar bundle. docs/contracts.md "OpenTelemetry export"
 * lists what each carries.
 */
import type {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_HOST_NAME,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@opentelemetry/semantic-conventions/incubating';

export const GEN_AI_CONVERSATION_ID: typeof ATTR_GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const GEN_AI_OPERATION_NAME: typeof ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME: typeof ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_AGENT_NAME: typeof ATTR_GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const GEN_AI_REQUEST_MODEL: typeof ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_RESPONSE_MODEL: typeof ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_TOOL_NAME: typeof ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_TOOL_CALL_ID: typeof ATTR_GEN_AI_TOOL_CALL_ID = 'gen_ai.tool.call.id';
export const GEN_AI_TOOL_CALL_ARGUMENTS: typeof ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const GEN_AI_TOOL_CALL_RESULT: typeof ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
/** Includes cached input, as the convention says ("SHOULD include all types of input tokens, including cached tokens"). */
export const GEN_AI_USAGE_INPUT_TOKENS: typeof ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS: typeof ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: typeof ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: typeof ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = 'gen_ai.usage.cache_creation.input_tokens';
export const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: typeof ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = 'gen_ai.usage.reasoning.output_tokens';
export const ERROR_TYPE: typeof ATTR_ERROR_TYPE = 'error.type';
export const HOST_NAME: typeof ATTR_HOST_NAME = 'host.name';
export const SERVICE_NAME: typeof ATTR_SERVICE_NAME = 'service.name';
export const SERVICE_INSTANCE_ID: typeof ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';

export const OP_CHAT: typeof GEN_AI_OPERATION_NAME_VALUE_CHAT = 'chat';
export const OP_EXECUTE_TOOL: typeof GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = 'execute_tool';
export const PROVIDER_ANTHROPIC: typeof GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = 'anthropic';
export const PROVIDER_OPENAI: typeof GEN_AI_PROVIDER_NAME_VALUE_OPENAI = 'openai';

// Ours (no convention covers them), in an `agent_monitor.` namespace.
/** `<session id>:<dedup key>` (or `<session id>:<usage key>`): the same fact always has the same id. */
export const AM_RECORD_ID = 'agent_monitor.record.id';
export const AM_DEDUP_KEY = 'agent_monitor.dedup_key';
export const AM_HOOK_TYPE = 'agent_monitor.hook_type';
/** `claude` | `codex`, as the team sync's `agent` column. */
export const AM_AGENT = 'agent_monitor.agent';
export const AM_MACHINE_ID = 'agent_monitor.machine.id';
/** The one-line summary of an event (text: only with AGENT_MONITOR_SHARE_TEXT=1). */
export const AM_SUMMARY = 'agent_monitor.summary';
export const AM_PARENT_SESSION = 'agent_monitor.parent_session_id';

export const SERVICE_NAME_VALUE = 'agent-monitor';
export const SCOPE_NAME = 'agent-monitor-host/otlp';

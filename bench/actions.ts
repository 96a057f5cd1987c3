/**
 * Counts Temporal Cloud billable Actions from workflow histories, following Temporal's documented list
 * (https://docs.temporal.io/cloud/actions, "Temporal Cloud Actions"). Only what a history shows can be
 * counted here; Queries, Activity Heartbeats and rejected Updates are billed but never written to history.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const E = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export const ACTION_RULES: readonly string[] = [
  'WorkflowExecutionStarted = 1 (client start, Update-With-Start, Signal-With-Start that starts, and each Continue-As-New run; the ContinuedAsNew event itself is not counted twice)',
  'WorkflowExecutionSignaled = 1, except the signal of a Signal-With-Start that started the run (one Action in total)',
  'WorkflowExecutionUpdateAccepted = 1 (Update-With-Start: the Update is an Action in addition to the start)',
  'ActivityTaskScheduled = 1, plus (attempt - 1) of its ActivityTaskStarted (each retry is an Action)',
  'TimerStarted = 1 (including the implicit timer of `condition(fn, timeout)`)',
  'UpsertWorkflowSearchAttributes = 1 per command (several attributes in one command are one Action; TemporalChangeVersion-only upserts are free; attributes given at start are free)',
  'MarkerRecorded (local activities) = 1 per workflow task, plus non-first local-activity attempts',
  'StartChildWorkflowExecutionInitiated = 2; WorkflowExecutionOptionsUpdated, NexusOperationScheduled, NexusOperationCancelRequested = 1',
  'Not in history, so not counted here: Queries (1 each: every `GET .../orders/:id` is a Query), Activity Heartbeats reaching the server, rejected Updates (e.g. a 409 conflicting order)',
];

export interface ActionCount {
  total: number;
  byType: Record<string, number>;
  runs: number;
  events: number;
}

function add(count: ActionCount, type: string, n = 1): void {
  if (n <= 0) return;
  count.total += n;
  count.byType[type] = (count.byType[type] ?? 0) + n;
}

export function countActions(events: readonly HistoryEvent[], count: ActionCount): void {
  const markerTasks = new Set<string>();
  count.runs += 1;
  count.events += events.length;
  events.forEach((event, index) => {
    switch (event.eventType) {
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        add(count, 'start workflow');
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: {
        const partOfSignalWithStart = index === 1 && events[0]?.eventType === E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
        if (!partOfSignalWithStart) add(count, 'signal');
        break;
      }
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        add(count, 'update');
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        add(count, 'activity');
        break;
      case E.EVENT_TYPE_ACTIVITY_TASK_STARTED:
        add(count, 'activity retry', (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1);
        break;
      case E.EVENT_TYPE_TIMER_STARTED:
        add(count, 'timer');
        break;
      case E.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields = Object.keys(
          event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
        );
        if (fields.some((name) => name !== 'TemporalChangeVersion')) add(count, 'upsert search attributes');
        break;
      }
      case E.EVENT_TYPE_MARKER_RECORDED: {
        const attrs = event.markerRecordedEventAttributes;
        if (attrs?.markerName === 'core_local_activity') {
          const task = String(attrs.workflowTaskCompletedEventId ?? '');
          if (!markerTasks.has(task)) {
            markerTasks.add(task);
            add(count, 'local activities');
          }
        }
        break;
      }
      case E.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: {
        const extra =
          event.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts;
        add(count, 'local activity retry', extra ?? 0);
        break;
      }
      case E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        add(count, 'start child workflow', 2);
        break;
      case E.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
        add(count, 'update workflow options');
        break;
      case E.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
      case E.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
        add(count, 'nexus');
        break;
      default:
        break;
    }
  });
}

/** Billable Actions in every run of a workflow id (Continue-As-New runs included). */
export async function actionsOfWorkflow(client: Client, workflowId: string): Promise<ActionCount> {
  const count: ActionCount = { total: 0, byType: {}, runs: 0, events: 0 };
  const runIds: string[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    runIds.push(execution.runId);
  }
  if (runIds.length === 0) runIds.push('');
  for (const runId of runIds) {
    const history = await client.workflow.getHandle(workflowId, runId || undefined).fetchHistory();
    countActions(history.events ?? [], count);
  }
  return count;
}

import { Environment } from '@marcbachmann/cel-js';

/**
 * The variables krakend-cel declares, typed as it types them: the request's (`req_*`), the response's
 * (`resp_*`), the validated token's claims (`JWT`) and `now`, an RFC 3339 string (`timestamp(now)`).
 */
export function celEnvironment(): Environment {
  return new Environment()
    .registerVariable('now', 'string')
    .registerVariable('req_method', 'string')
    .registerVariable('req_path', 'string')
    .registerVariable('req_params', 'map<string, string>')
    .registerVariable('req_headers', 'map<string, list<string>>')
    .registerVariable('req_querystring', 'map<string, list<string>>')
    .registerVariable('resp_completed', 'bool')
    .registerVariable('resp_metadata_status', 'int')
    .registerVariable('resp_metadata_headers', 'map<string, list<string>>')
    .registerVariable('resp_data', 'map<string, dyn>')
    .registerVariable('JWT', 'map<string, dyn>');
}

/** One evaluation: the expressions to run in order, all on the same variables. */
export interface CelJob {
  sources: readonly string[];
  activation: Record<string, unknown>;
}

/** Its outcome: `failed` is -1 when every expression was true, else the index of the first that was not. */
export interface CelVerdict {
  failed: number;
  /** What the failing expression gave instead of true, or why it could not be evaluated. */
  reason?: string;
  /** The evaluator was stopped (over its time budget or heap) or closed before an answer. */
  stopped?: boolean;
}

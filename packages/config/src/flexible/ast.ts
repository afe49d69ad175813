/** The parsed form of a Go text/template (the subset Switchyard renders; docs/flexible-config.md). */

/** Where a node starts in its template file (1-based). */
export interface Where {
  template: string;
  line: number;
  column: number;
  /** The action's source text, for error messages (`<.service.port>`). */
  source: string;
}

export type Operand =
  | { kind: 'dot' }
  | { kind: 'field'; names: string[] } // .a.b
  | { kind: 'variable'; name: string; names: string[] } // $x.a.b
  | { kind: 'literal'; value: unknown }
  | { kind: 'nil' }
  | { kind: 'function'; name: string }
  | { kind: 'pipeline'; pipe: Pipeline; names: string[] }; // (…).a.b

export interface Command {
  args: Operand[];
}

export interface Pipeline {
  /** Variables declared (`$x :=`) or assigned (`$x =`); range takes up to two. */
  vars: string[];
  assign: boolean;
  commands: Command[];
  where: Where;
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline }
  | { kind: 'if' | 'with'; pipe: Pipeline; body: Node[]; otherwise: Node[] | null }
  | { kind: 'range'; pipe: Pipeline; body: Node[]; otherwise: Node[] | null }
  | { kind: 'template'; name: string; pipe: Pipeline | null; where: Where }
  | { kind: 'break' | 'continue'; where: Where };

import { readFileSync } from 'node:fs';
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from 'dockerfile-ast';

/** One COPY of a stage: where from (a stage name, or the build context), its sources and destination. */
export interface CopyStep {
  from: string | null;
  sources: string[];
  destination: string;
}

/** One FROM … of a Dockerfile with what the checks need of it. */
export interface Stage {
  name: string | null;
  image: string;
  workdir: string;
  copies: CopyStep[];
  runs: string[];
  user: string | null;
  entrypoint: string[] | null;
  healthcheck: string | null;
}

/** A Dockerfile parsed into its stages and the default of each ARG before the first FROM. */
export interface ParsedDockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

const jsonStrings = (instruction: Instruction) => (instruction as JSONInstruction).getJSONStrings().map((s) => s.getJSONValue());

/** Parses a Dockerfile with dockerfile-ast (the parser of the Docker language server). */
export function parseDockerfile(file: string): ParsedDockerfile {
  const dockerfile = DockerfileParser.parse(readFileSync(file, 'utf8'));
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const values = instruction.getArguments().map((a) => a.getValue());
    const stage = stages.at(-1);
    if (keyword === 'FROM') {
      const asAt = values.findIndex((v) => v.toUpperCase() === 'AS');
      stages.push({ name: asAt >= 0 ? values[asAt + 1]! : null, image: values[0]!, workdir: '/', copies: [], runs: [], user: null, entrypoint: null, healthcheck: null });
    } else if (stage === undefined) {
      if (keyword === 'ARG') {
        const [name, value] = values[0]!.split(/=(.*)/s);
        args[name!] = value ?? '';
      }
    } else if (keyword === 'WORKDIR') {
      stage.workdir = values[0]!.startsWith('/') ? values[0]! : `${stage.workdir.replace(/\/$/, '')}/${values[0]}`;
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      // The parser keeps flags (--from, --chown) out of the arguments.
      const from = keyword === 'COPY' ? ((instruction as Copy).getFromFlag()?.getValue() ?? null) : null;
      stage.copies.push({ from, sources: values.slice(0, -1), destination: values.at(-1)! });
    } else if (keyword === 'RUN') {
      stage.runs.push(instruction.getArgumentsContent() ?? '');
    } else if (keyword === 'USER') {
      stage.user = values[0]!;
    } else if (keyword === 'ENTRYPOINT') {
      stage.entrypoint = jsonStrings(instruction);
    } else if (keyword === 'HEALTHCHECK') {
      stage.healthcheck = instruction.getArgumentsContent();
    }
  }
  return { args, stages };
}

/**
 * Test-only wrappers of the independent DICOM checkers installed from Debian: dicom3tools'
 * `dciodvfy` (IOD and module rules), PixelMed's `DicomSRValidator` (SR templates and context
 * groups), DCMTK's `dcmdump`/`dsrdump` and pydicom (can another reader read it back?).
 * Each returns the tool's own words, split into errors and warnings, so a test can assert "no
 * errors" and list the warnings it accepts.
 */
import { spawnSync } from 'node:child_process';

export interface Findings {
  errors: string[];
  warnings: string[];
  output: string;
}

const has = (cmd: string, args: string[]) => {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
    return r.error === undefined;
  } catch {
    return false;
  }
};

export const tools = {
  dciodvfy: has('dciodvfy', ['-help']),
  srValidator: has('DicomSRValidator', []) && has('java', ['-version']),
  dcmdump: has('dcmdump', ['--version']),
  dsrdump: has('dsrdump', ['--version']),
  pydicom: spawnSync('/usr/bin/python3', ['-c', 'import pydicom'], { encoding: 'utf8' }).status === 0,
};

export const missingToolReason = (name: keyof typeof tools) => `${name} is not installed (Debian: dicom3tools, pixelmed-apps, dcmtk, python3-pydicom)`;

/** dciodvfy prints "Error - …" and "Warning - …" lines (on stderr). */
export function dciodvfy(file: string): Findings {
  const r = spawnSync('dciodvfy', ['-new', file], { encoding: 'utf8', timeout: 120_000 });
  const output = `${r.stdout}${r.stderr}`;
  const lines = output.split('\n');
  return {
    errors: lines.filter((l) => /^Error/.test(l)),
    warnings: lines.filter((l) => /^Warning/.test(l)),
    output,
  };
}

/** Java 17's XPath limits stop PixelMed's compiled stylesheets; DESIGN.md §8 names the switches. */
const JAVA_XPATH = ['-Djdk.xml.xpathExprOpLimit=0', '-Djdk.xml.xpathExprGrpLimit=0', '-Djdk.xml.xpathTotalOpLimit=0'];

/** DicomSRValidator prints "Error: …" and "Warning: …" lines after its checks. */
export function dicomSrValidator(file: string): Findings {
  const r = spawnSync('java', [...JAVA_XPATH, '-Xmx1g', '-cp', '/usr/share/java/pixelmed.jar', 'com.pixelmed.validate.DicomSRValidator', file], {
    encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${r.stdout}${r.stderr}`;
  const lines = output.split('\n');
  return {
    errors: lines.filter((l) => /^Error/i.test(l.trim()) || /Exception/.test(l)),
    warnings: lines.filter((l) => /^Warning/i.test(l.trim())),
    output,
  };
}

export function dcmdump(file: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('dcmdump', ['-q', ...args, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function dsrdump(file: string, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('dsrdump', ['-q', ...args, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a Python snippet with Debian's python3 (pydicom); `sys.argv[1:]` are the files. Returns its stdout as JSON. */
export function pydicomJson<T>(script: string, files: string[]): T {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pydicom failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

// Checks the directions of src/'s imports against .dependency-cruiser.cjs (npm run depcheck, in npm test);
// exits non-zero on any violation. Through dependency-cruiser's API, not its command: the command
// refuses to start on Node 20, which kedge supports, and the API runs on it.
import {cruise} from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'

process.chdir(new URL('..', import.meta.url).pathname)
const options = await extractDepcruiseOptions('./.dependency-cruiser.cjs')
const tsConfig = extractTSConfig(options.tsConfig.fileName)
const result = await cruise(['src'], {...options, outputType: 'err'}, {}, {tsConfig})
process.stdout.write(result.output)
process.exitCode = result.exitCode === 0 ? 0 : 1

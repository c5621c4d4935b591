// Stands for Node's fs, path and crypto in the browser bundle: OpenCV's WebAssembly build names them
// in code that only runs under Node.
export default {};

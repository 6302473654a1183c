describe('toolchain', () => {
  it('runs on Node 22 (the node@22 devDependency), whatever node the machine has', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(22);
  });
});

import { mcpToolName, normaliseServerUrl } from './mcp-tool-names';

describe('mcpToolName', () => {
  it('keeps a plain pair readable', () => {
    expect(mcpToolName('weather', 'forecast')).toBe('mcp__weather__forecast');
  });

  it('sanitises to the model charset and stays within 64 chars, distinct per pair', () => {
    const names = [
      mcpToolName('my.server', 'get weather'),
      mcpToolName('my_server', 'get_weather'),
      mcpToolName('a'.repeat(80), 'x'),
      mcpToolName('a'.repeat(80), 'y'),
      mcpToolName('a__b', 'c'),
      mcpToolName('a', 'b__c'),
    ];
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(new Set(names).size).toBe(names.length);
    expect(mcpToolName('my.server', 'get weather')).toBe(mcpToolName('my.server', 'get weather'));
  });
});

describe('normaliseServerUrl', () => {
  it('compares URLs the way a person would', () => {
    expect(normaliseServerUrl('HTTPS://MCP.Example.com:443/mcp/')).toBe('https://mcp.example.com/mcp');
    expect(normaliseServerUrl('https://mcp.example.com/mcp#x')).toBe('https://mcp.example.com/mcp');
    expect(normaliseServerUrl('http://127.0.0.1:8080/mcp?a=1')).toBe('http://127.0.0.1:8080/mcp?a=1');
    expect(normaliseServerUrl('https://mcp.example.com/other')).not.toBe(normaliseServerUrl('https://mcp.example.com/mcp'));
  });
});

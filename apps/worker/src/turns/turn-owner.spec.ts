import { ownerJobId, turnOwner } from './turn-owner';

describe('turn owners', () => {
  it('tells two attempts of one job apart, and gives back the job id', () => {
    const first = turnOwner('sess_1-4', 'b7d1a3e0-5b0e-4c43-9a57-3f0c1f6f2d11:12');
    const second = turnOwner('sess_1-4', 'b7d1a3e0-5b0e-4c43-9a57-3f0c1f6f2d11:13');
    expect(first).not.toBe(second);
    expect(ownerJobId(first)).toBe('sess_1-4');
    expect(ownerJobId(second)).toBe('sess_1-4');
  });

  it('reads a value written before owners had a lock token as a job id', () => {
    expect(ownerJobId('sess_1-4-r1733450000000')).toBe('sess_1-4-r1733450000000');
  });
});

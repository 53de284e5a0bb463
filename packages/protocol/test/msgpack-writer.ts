// Test helper: a msgpack writer that writes each value in the form the caller picks (not only the
// shortest), so tests can feed readers every valid-but-unusual encoding: integers as int8…int64,
// uint64 or float32/64, short strings as str8/16/32, small arrays as array16/32, maps, bin, ext,
// nil, and raw bytes (e.g. invalid UTF-8 in a string, or the never-used byte 0xC1).

export type UintForm = 'fix' | 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'f32' | 'f64';

export class MsgpackWriter {
  private bytes: number[] = [];

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  raw(...bs: number[]): this {
    for (const b of bs) this.bytes.push(b & 0xff);
    return this;
  }

  private be(value: bigint, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
    return this;
  }

  /** An integer (or any number, for the float forms) in the given form; the caller makes sure it fits. */
  num(v: number, form: UintForm): this {
    switch (form) {
      case 'fix':
        if (v >= 0 && v < 0x80) return this.raw(v);
        if (v < 0 && v >= -32) return this.raw(0x100 + v);
        throw new Error(`${v} is no fixint`);
      case 'u8':
        return this.raw(0xcc).be(BigInt(v), 1);
      case 'u16':
        return this.raw(0xcd).be(BigInt(v), 2);
      case 'u32':
        return this.raw(0xce).be(BigInt(v), 4);
      case 'u64':
        return this.raw(0xcf).be(BigInt(v), 8);
      case 'i8':
        return this.raw(0xd0).be(BigInt.asUintN(8, BigInt(v)), 1);
      case 'i16':
        return this.raw(0xd1).be(BigInt.asUintN(16, BigInt(v)), 2);
      case 'i32':
        return this.raw(0xd2).be(BigInt.asUintN(32, BigInt(v)), 4);
      case 'i64':
        return this.raw(0xd3).be(BigInt.asUintN(64, BigInt(v)), 8);
      case 'f32': {
        const dv = new DataView(new ArrayBuffer(4));
        dv.setFloat32(0, v);
        return this.raw(0xca, ...new Uint8Array(dv.buffer));
      }
      case 'f64': {
        const dv = new DataView(new ArrayBuffer(8));
        dv.setFloat64(0, v);
        return this.raw(0xcb, ...new Uint8Array(dv.buffer));
      }
    }
  }

  /** A raw 64-bit unsigned or signed integer (values beyond 2^53, e.g. 2^64 - 1). */
  big(v: bigint, signed: boolean): this {
    return this.raw(signed ? 0xd3 : 0xcf).be(BigInt.asUintN(64, v), 8);
  }

  nil(): this {
    return this.raw(0xc0);
  }

  bool(v: boolean): this {
    return this.raw(v ? 0xc3 : 0xc2);
  }

  /** A string (UTF-8 of `s`, or the given bytes) with the header form picked. */
  str(s: string | Uint8Array, form: 'fix' | 's8' | 's16' | 's32'): this {
    const b = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    if (form === 'fix') {
      if (b.length > 31) throw new Error('too long for fixstr');
      this.raw(0xa0 | b.length);
    } else if (form === 's8') this.raw(0xd9).be(BigInt(b.length), 1);
    else if (form === 's16') this.raw(0xda).be(BigInt(b.length), 2);
    else this.raw(0xdb).be(BigInt(b.length), 4);
    return this.raw(...b);
  }

  /** An array header for n items, in the form picked. */
  arr(n: number, form: 'fix' | 'a16' | 'a32'): this {
    if (form === 'fix') {
      if (n > 15) throw new Error('too long for fixarray');
      return this.raw(0x90 | n);
    }
    return form === 'a16' ? this.raw(0xdc).be(BigInt(n), 2) : this.raw(0xdd).be(BigInt(n), 4);
  }

  /** A map header for n pairs (fixmap below 16, else map16). */
  map(n: number): this {
    return n < 16 ? this.raw(0x80 | n) : this.raw(0xde).be(BigInt(n), 2);
  }

  bin(b: Uint8Array): this {
    return this.raw(0xc4, b.length, ...b);
  }

  /** fixext 1/2/4/8/16 when the data has that size, else ext 8. */
  ext(type: number, data: Uint8Array): this {
    const fixed: Record<number, number> = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 };
    const head = fixed[data.length];
    if (head !== undefined) return this.raw(head, type, ...data);
    return this.raw(0xc7, data.length, type, ...data);
  }
}

/** The forms in which a non-negative integer v can be written (all decode to v). */
export function uintForms(v: number): UintForm[] {
  const forms: UintForm[] = ['f64'];
  if (v < 0x80) forms.push('fix');
  if (v < 0x100) forms.push('u8');
  if (v < 0x10000) forms.push('u16');
  if (v < 0x100000000) forms.push('u32');
  if (v < 0x80) forms.push('i8');
  if (v < 0x8000) forms.push('i16');
  if (v < 0x80000000) forms.push('i32');
  forms.push('u64', 'i64');
  if (Math.fround(v) === v) forms.push('f32');
  return forms;
}

/** The shortest form, as msgpackr and FrameBuilder write it (f64 from 2^32). */
export function shortestUintForm(v: number): UintForm {
  return v < 0x80 ? 'fix' : v < 0x100 ? 'u8' : v < 0x10000 ? 'u16' : v < 0x100000000 ? 'u32' : 'f64';
}

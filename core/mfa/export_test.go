package mfa

import "reflect"

// DumpMemoryStore returns every string and byte a MemoryStore holds, found
// by walking its values with reflection, so that a field added later is
// covered too.
func DumpMemoryStore(s *MemoryStore) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []byte
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.String:
			out = append(out, v.String()...)
		case reflect.Slice, reflect.Array:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				for i := range v.Len() {
					out = append(out, byte(v.Index(i).Uint()))
				}
				return
			}
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Key())
				walk(it.Value())
			}
		}
		out = append(out, '\n')
	}
	walk(reflect.ValueOf(s.users))
	return out
}

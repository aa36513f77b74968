// Command conditions-reader prints how the real readers of a resource's
// conditions read it: kstatus (sigs.k8s.io/cli-utils, used by Flux, kpt and
// `kubectl wait`) and an Argo CD health script run with gopher-lua, the Lua
// interpreter Argo CD runs its health checks with.
//
//	conditions-reader -health-lua FILE < objects
//
// objects: JSON objects one after another (e.g. one per line) or one JSON
// array of them. For each object it prints one line of JSON:
//
//	{"name":…,"kstatus":{"status":…,"message":…},"argocd":{"status":…,"message":…}}
//
// with "error" instead of status/message when a reader fails.
//
//	conditions-reader -unzip ZIP ENTRY
//
// prints one file of a zip (a module zip from the Go module cache), so the
// build needs no unzip tool.
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type reading struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

type line struct {
	Name    string  `json:"name"`
	Kstatus reading `json:"kstatus"`
	ArgoCD  reading `json:"argocd"`
}

func main() {
	healthLua := flag.String("health-lua", "", "the Argo CD health.lua to run for each object")
	unzip := flag.String("unzip", "", "print the file named by the argument from this zip, and exit")
	flag.Parse()
	if err := run(*healthLua, *unzip, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "conditions-reader:", err)
		os.Exit(1)
	}
}

func run(healthLua, unzip string, args []string) error {
	if unzip != "" {
		if len(args) != 1 {
			return errors.New("-unzip ZIP takes one argument: the entry to print")
		}
		return printZipEntry(unzip, args[0])
	}
	if healthLua == "" {
		return errors.New("-health-lua is required")
	}
	script, err := os.ReadFile(healthLua)
	if err != nil {
		return err
	}
	objects, err := readObjects(os.Stdin)
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	for _, raw := range objects {
		u := &unstructured.Unstructured{}
		// As client-go decodes objects: integers become int64, other numbers float64.
		if err := u.UnmarshalJSON(raw); err != nil {
			return fmt.Errorf("not a Kubernetes object: %w", err)
		}
		if err := out.Encode(line{Name: u.GetName(), Kstatus: kstatus(u), ArgoCD: argoHealth(u, string(script))}); err != nil {
			return err
		}
	}
	return nil
}

// readObjects accepts a JSON array of objects or a stream of JSON objects.
func readObjects(r io.Reader) ([]json.RawMessage, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		var list []json.RawMessage
		return list, json.Unmarshal(trimmed, &list)
	}
	var list []json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return list, nil
		} else if err != nil {
			return nil, err
		}
		list = append(list, raw)
	}
}

func kstatus(u *unstructured.Unstructured) reading {
	res, err := status.Compute(u)
	if err != nil {
		return reading{Error: err.Error()}
	}
	return reading{Status: res.Status.String(), Message: res.Message}
}

// argoHealth runs a built-in health script as Argo CD does: standard
// libraries open (built-in scripts get them), the object as the global
// table `obj`, a one-second limit, and the returned table's status and
// message, where a status Argo CD does not know reads as Unknown.
func argoHealth(u *unstructured.Unstructured, script string) reading {
	l := lua.NewState()
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, u.Object))
	fn, err := l.LoadString(script)
	if err == nil {
		l.Push(fn)
		err = l.PCall(0, lua.MultRet, nil)
	}
	if err != nil {
		return reading{Error: err.Error()}
	}
	ret := l.Get(-1)
	tbl, ok := ret.(*lua.LTable)
	if !ok {
		if ret == lua.LNil {
			return reading{Error: "no health (the script returned nil)"}
		}
		return reading{Error: "the script returned a " + ret.Type().String() + ", not a table"}
	}
	st, msg := luaString(tbl.RawGetString("status")), luaString(tbl.RawGetString("message"))
	switch st {
	case "Unknown", "Progressing", "Suspended", "Healthy", "Degraded", "Missing":
		return reading{Status: st, Message: msg}
	}
	return reading{Status: "Unknown", Message: "Lua returned an invalid health status"}
}

func luaString(v lua.LValue) string {
	if v == lua.LNil {
		return ""
	}
	return v.String()
}

// toLua converts a decoded object to Lua values: maps and slices to tables,
// numbers, strings and booleans to their Lua kinds, anything else to nil.
func toLua(l *lua.LState, v any) lua.LValue {
	switch x := v.(type) {
	case bool:
		return lua.LBool(x)
	case string:
		return lua.LString(x)
	case int64:
		return lua.LNumber(x)
	case float64:
		return lua.LNumber(x)
	case []any:
		t := l.CreateTable(len(x), 0)
		for _, item := range x {
			t.Append(toLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(x))
		for k, item := range x {
			t.RawSetString(k, toLua(l, item))
		}
		return t
	}
	return lua.LNil
}

func printZipEntry(path, name string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer z.Close()
	f, err := z.Open(name)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	_, err = io.Copy(os.Stdout, f)
	return err
}

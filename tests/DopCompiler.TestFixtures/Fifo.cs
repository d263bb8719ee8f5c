using System.Runtime.InteropServices;

namespace DopCompiler.TestFixtures;

/// <summary>Named pipes for the "never a hang" tests: a FIFO in place of an input file blocks a plain open forever.</summary>
public static class Fifo
{
    /// <summary>Replaces <paramref name="path"/> (if any) with a named pipe nobody writes to.</summary>
    public static void Create(string path)
    {
        File.Delete(path);
        if (MakeFifo(path, 0b110_100_100) != 0)
        {
            throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Runs <paramref name="action"/> on a worker and fails when it has not returned after a minute: a hang guard, not a timing.</summary>
    public static Exception? RunBounded(Action action)
    {
        var task = Task.Run(() =>
        {
            try
            {
                action();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        return task.Wait(TimeSpan.FromMinutes(1)) ? task.Result : throw new TimeoutException("the reader blocked on a named pipe");
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);
}

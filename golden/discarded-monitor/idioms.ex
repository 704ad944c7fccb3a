defmodule Golden.DiscardedMonitor.Idioms do
  use GenServer

  # One monitor for the server's lifetime: stop when the owner dies.
  def init(owner) do
    Process.monitor(owner)
    {:ok, %{owner: owner}}
  end

  def handle_info({:DOWN, _ref, :process, _pid, _reason}, state) do
    {:stop, :normal, state}
  end

  # The monitor is consumed by the :DOWN this function waits for.
  def stop_and_wait(pid) do
    Process.monitor(pid)
    Process.exit(pid, :kill)

    receive do
      {:DOWN, _ref, :process, ^pid, _reason} -> :ok
    after
      5000 -> :timeout
    end
  end

  def wait_guarded(pid) do
    Process.monitor(pid)

    receive do
      {:DOWN, _ref, :process, down, _reason} when down == pid -> :ok
    end
  end

  defmacro watch(pid) do
    quote do
      Process.monitor(unquote(pid))
      :ok
    end
  end
end

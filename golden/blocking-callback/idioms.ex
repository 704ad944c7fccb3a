defmodule Golden.BlockingCallback.Idioms do
  use GenServer

  @poll 1_000

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  # Client API: runs in the caller's process, no callback reaches it.
  def fetch_now(url) do
    Process.sleep(10)
    HTTPoison.get(url)
  end

  def wait_ready(timeout) do
    receive do
      :ready -> :ok
    after
      timeout -> :timeout
    end
  end

  def init(opts) do
    :telemetry.attach("idioms-slow-query", [:repo, :query], &handle_event/4, nil)
    Process.send_after(self(), :poll, @poll)
    {:ok, Map.new(opts)}
  end

  # The HTTP request runs in a supervised task; the reply comes from there.
  def handle_call({:fetch, url}, from, state) do
    Task.Supervisor.start_child(Golden.TaskSup, fn ->
      GenServer.reply(from, HTTPoison.get(url))
    end)

    {:noreply, state}
  end

  def handle_call({:slow_async, ms}, _from, state) do
    task = Task.async(fn -> Process.sleep(ms) end)
    {:reply, task, state}
  end

  def handle_info(:poll, state) do
    Process.send_after(self(), :poll, @poll)
    {:noreply, drain(state)}
  end

  def handle_info({:ask, other}, state) do
    {:noreply, Map.put(state, :answer, GenServer.call(other, :question))}
  end

  def handle_cast(:build, state) do
    {:noreply, Map.put(state, :request, Req.new(url: "http://localhost"))}
  end

  # Runs in the process that emits the event, not in this server.
  def handle_event(_event, _measurements, _metadata, _config) do
    Process.sleep(1)
  end

  defp drain(state) do
    receive do
      {:event, e} -> drain(Map.update(state, :events, [e], &[e | &1]))
    after
      0 -> state
    end
  end
end

defmodule Golden.BlockingCallback.Direct do
  use GenServer

  @impl true
  def init(url) do
    {:ok, _} = :httpc.request(url)
    {:ok, %{url: url}}
  end

  @impl true
  def handle_call(:slow, _from, state) do
    Process.sleep(1_000)
    {:reply, :ok, state}
  end

  def handle_call({:fetch, url}, _from, state) do
    {:reply, HTTPoison.get!(url), state}
  end

  @impl true
  def handle_cast(:nap, state) do
    :timer.sleep(500)
    {:noreply, state}
  end

  @impl true
  def handle_info(:poll, state) do
    state.url |> Req.get() |> then(fn resp -> {:noreply, Map.put(state, :last, resp)} end)
  end

  @impl true
  def handle_continue(:warm, state) do
    Enum.each(1..3, &Process.sleep/1)
    {:noreply, state}
  end
end

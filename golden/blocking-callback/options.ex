defmodule Golden.BlockingCallback.Options do
  @behaviour GenServer

  @timeout :timer.seconds(30)

  @impl true
  def init(repo), do: {:ok, repo}

  @impl true
  def handle_call({:query, sql}, _from, repo) do
    {:reply, Golden.Repo.query(sql), repo}
  end

  @impl true
  def handle_cast(:sleep, repo) do
    Process.sleep(10)
    {:noreply, repo}
  end

  @impl true
  def handle_info(:wait, repo) do
    receive do
      :go -> {:noreply, repo}
    after
      @timeout -> {:noreply, repo}
    end
  end
end
